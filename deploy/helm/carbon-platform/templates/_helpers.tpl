{{/*
Service metadata fixed by docs/conventions.md: ports, env prefix and the gRPC peers each service
dials. Not values: every peer target and NetworkPolicy is derived from this table, so changing a
port here changes it everywhere at once.
*/}}
{{- define "carbon.serviceNames" -}}
issuance registry trading reporting
{{- end -}}

{{- define "carbon.serviceMeta" -}}
issuance:
  http: 8101
  grpc: 50101
  prefix: ISSUANCE_
  peers: [registry]
registry:
  http: 8102
  grpc: 50102
  prefix: REGISTRY_
  peers: []
trading:
  http: 8103
  grpc: 50103
  prefix: TRADING_
  peers: [registry]
reporting:
  http: 8104
  grpc: 50104
  prefix: REPORTING_
  peers: [issuance, registry, trading]
{{- end -}}

{{- define "carbon.gatewayPort" -}}4000{{- end -}}

{{/* The public explorer's port in its image (deploy/docker/web.Dockerfile: WEB_PORT, EXPOSE). */}}
{{- define "carbon.webPort" -}}8080{{- end -}}

{{/* Numeric non-root user baked into every image (deploy/docker). */}}
{{- define "carbon.uid" -}}10001{{- end -}}

{{- define "carbon.name" -}}
{{- printf "%s-%s" .root.Release.Name .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "carbon.chartLabel" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: stable across upgrades (Deployment selectors are immutable). */}}
{{- define "carbon.selectorLabels" -}}
app.kubernetes.io/name: carbon-platform
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "carbon.labels" -}}
{{ include "carbon.selectorLabels" . }}
app.kubernetes.io/part-of: carbon-platform
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "carbon.chartLabel" .root }}
carbon.platform/tier: {{ .tier }}
{{- end -}}

{{- define "carbon.image" -}}
{{- $img := .root.Values.image -}}
{{- if $img.digest -}}
{{- printf "%s/carbon-%s:%s@%s" $img.registry .component $img.tag $img.digest -}}
{{- else -}}
{{- printf "%s/carbon-%s:%s" $img.registry .component $img.tag -}}
{{- end -}}
{{- end -}}

{{/* Kafka security protocol derived from the TLS/SASL switches (kafka-python names). */}}
{{- define "carbon.kafkaSecurityProtocol" -}}
{{- $k := .Values.kafka -}}
{{- if and $k.tls.enabled $k.sasl.mechanism -}}SASL_SSL
{{- else if $k.tls.enabled -}}SSL
{{- else if $k.sasl.mechanism -}}SASL_PLAINTEXT
{{- else -}}PLAINTEXT
{{- end -}}
{{- end -}}

{{/* Secret holding the service's SQLAlchemy DSN (P_DATABASE_URL). */}}
{{- define "carbon.dbSecretName" -}}
{{- $db := (index .root.Values.services .component).database -}}
{{- if $db.secretName -}}
{{- $db.secretName -}}
{{- else if .root.Values.postgresql.cloudnativepg.enabled -}}
{{- printf "%s-%s-pg-app" .root.Release.Name .component -}}
{{- else -}}
{{- fail (printf "services.%s.database.secretName is required unless postgresql.cloudnativepg.enabled" .component) -}}
{{- end -}}
{{- end -}}

{{/*
Non-secret settings of one service as a flat YAML map (name: value). The ConfigMap renders it and
the migration Job inlines it: the Job is a pre-install hook and runs before the ConfigMap exists.
*/}}
{{- define "carbon.serviceConfig" -}}
{{- $root := .root -}}
{{- $meta := include "carbon.serviceMeta" $root | fromYaml -}}
{{- $m := index $meta .component -}}
{{- $p := $m.prefix -}}
{{ $p }}HTTP_PORT: {{ $m.http | quote }}
{{ $p }}GRPC_PORT: {{ $m.grpc | quote }}
{{ $p }}HOST: "0.0.0.0"
{{ $p }}ENVIRONMENT: {{ $root.Values.environment | quote }}
{{ $p }}LOG_LEVEL: {{ $root.Values.logLevel | quote }}
{{ $p }}KAFKA_BOOTSTRAP_SERVERS: {{ $root.Values.kafka.bootstrapServers | quote }}
{{ $p }}KAFKA_SECURITY_PROTOCOL: {{ include "carbon.kafkaSecurityProtocol" $root | quote }}
{{- if $root.Values.kafka.sasl.mechanism }}
{{ $p }}KAFKA_SASL_MECHANISM: {{ $root.Values.kafka.sasl.mechanism | quote }}
{{ $p }}KAFKA_SASL_USERNAME: {{ include "carbon.kafkaUser" (dict "root" $root "component" .component) | quote }}
{{- end }}
{{- if $root.Values.kafka.tls.enabled }}
{{ $p }}KAFKA_SSL_CAFILE: "/etc/carbon/kafka-ca/ca.crt"
{{- end }}
{{ $p }}OTLP_ENDPOINT: {{ $root.Values.otel.endpoint | quote }}
{{- range $peer := $m.peers }}
{{- $pm := index $meta $peer }}
{{ $p }}{{ upper $peer }}_GRPC_TARGET: {{ printf "%s-%s:%v" $root.Release.Name $peer $pm.grpc | quote }}
{{- end }}
{{ include "carbon.authConfig" $root }}
{{- end -}}

{{- define "carbon.authConfig" -}}
CARBON_OIDC_ISSUER: {{ .Values.auth.oidcIssuer | quote }}
CARBON_JWKS_URL: {{ .Values.auth.jwksUrl | quote }}
CARBON_JWT_AUDIENCE: {{ .Values.auth.audience | quote }}
{{- end -}}

{{- define "carbon.gatewayConfig" -}}
{{- $root := . -}}
{{- $meta := include "carbon.serviceMeta" $root | fromYaml -}}
GATEWAY_PORT: {{ include "carbon.gatewayPort" $root | quote }}
GATEWAY_HOST: "0.0.0.0"
{{- /* production also turns off introspection, GraphiQL and field suggestions (gateway.config.ts) */}}
GATEWAY_ENVIRONMENT: {{ $root.Values.environment | quote }}
{{- /* OTLP/HTTP traces URL; gateway/run.sh hands it to Hive Gateway as OPENTELEMETRY */}}
GATEWAY_OTLP_ENDPOINT: {{ $root.Values.otel.gatewayTracesEndpoint | quote }}
{{- range $svc := splitList " " (include "carbon.serviceNames" $root) }}
{{- $m := index $meta $svc }}
GATEWAY_{{ upper $svc }}_URL: {{ printf "http://%s-%s:%v/graphql" $root.Release.Name $svc $m.http | quote }}
{{- end }}
{{ include "carbon.authConfig" $root }}
{{- end -}}

{{/* Secret-backed env shared by the gateway and the services. */}}
{{- define "carbon.authSecretEnv" -}}
{{- $root := . -}}
- name: CARBON_GATEWAY_SECRET
  valueFrom:
    secretKeyRef:
      {{- if $root.Values.auth.gatewaySecret.existingSecret }}
      name: {{ $root.Values.auth.gatewaySecret.existingSecret }}
      key: {{ $root.Values.auth.gatewaySecret.key }}
      {{- else }}
      name: {{ printf "%s-auth" $root.Release.Name }}
      key: gateway-secret
      {{- end }}
{{- if and (eq $root.Values.environment "dev") $root.Values.auth.jwtSecret }}
- name: CARBON_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ printf "%s-auth" $root.Release.Name }}
      key: jwt-secret
{{- end }}
{{- end -}}

{{/*
CARBON_SERVICE_SECRET signs the tokens services use to call each other (role SERVICE); the runtime
refuses its dev default in production. Services only, never the gateway.
*/}}
{{- define "carbon.serviceSecretEnv" -}}
{{- $s := .root.Values.auth.serviceSecret -}}
{{- if $s.existingSecret }}
- name: CARBON_SERVICE_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $s.existingSecret }}
      key: {{ $s.key }}
{{- else if and $s.value (not .migration) }}
- name: CARBON_SERVICE_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ printf "%s-auth" .root.Release.Name }}
      key: service-secret
{{- end }}
{{- end -}}

{{- define "carbon.kafkaSecretEnv" -}}
{{- $root := .root -}}
{{- $p := .prefix -}}
{{- if $root.Values.kafka.sasl.mechanism }}
- name: {{ $p }}KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      {{- $secret := required "kafka.sasl.passwordSecret.name is required with SASL" $root.Values.kafka.sasl.passwordSecret.name }}
      name: {{ if and $root.Values.kafka.sasl.perService .component }}{{ include "carbon.kafkaUser" (dict "root" $root "component" .component) }}{{ else }}{{ $secret }}{{ end }}
      key: {{ $root.Values.kafka.sasl.passwordSecret.key }}
{{- end }}
{{- end -}}

{{/* The broker identity of one service (kafka.sasl.perService: "<username>-<svc>"). */}}
{{- define "carbon.kafkaUser" -}}
{{- if .root.Values.kafka.sasl.perService -}}
{{ printf "%s-%s" .root.Values.kafka.sasl.username .component }}
{{- else -}}
{{ .root.Values.kafka.sasl.username }}
{{- end -}}
{{- end -}}

{{- define "carbon.dbEnv" -}}
{{- $meta := include "carbon.serviceMeta" .root | fromYaml -}}
{{- $m := index $meta .component -}}
- name: {{ $m.prefix }}DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "carbon.dbSecretName" . }}
      key: {{ (index .root.Values.services .component).database.secretKey }}
{{- end -}}

{{- define "carbon.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ include "carbon.uid" . }}
runAsGroup: {{ include "carbon.uid" . }}
fsGroup: {{ include "carbon.uid" . }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "carbon.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ include "carbon.uid" . }}
runAsGroup: {{ include "carbon.uid" . }}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
checkov skips shared by every workload, each with its reason:
- CKV_K8S_43 (image digest): images are pinned to an immutable release tag; image.digest adds the
  digest when the registry publishes one. Digests do not exist until CI pushes the images.
- CKV_K8S_35 (secrets as files): the services are configured only through environment variables
  (docs/conventions.md, pydantic-settings); secrets come from secretKeyRef, never from values.
*/}}
{{- define "carbon.checkovSkips" -}}
checkov.io/skip1: CKV_K8S_43=Images pinned by immutable release tag; image.digest pins the digest once CI publishes it
checkov.io/skip2: CKV_K8S_35=Runtime settings are environment-only by convention; values come from secretKeyRef, never literals
{{- end -}}

{{- define "carbon.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{/* Egress every long-running pod needs: DNS, OTLP, and the OIDC provider when JWKS is used. */}}
{{- define "carbon.commonEgress" -}}
{{- $np := .Values.networkPolicy -}}
- to:
    {{- toYaml $np.dns.to | nindent 4 }}
  ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}
- to:
    {{- toYaml $np.otel.to | nindent 4 }}
  ports:
    {{- range $np.otel.ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
{{- if .Values.auth.jwksUrl }}
- to:
    {{- toYaml $np.oidc.to | nindent 4 }}
  ports:
    {{- range $np.oidc.ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
{{- end }}
{{- end -}}
