"""Rules of the carbon-platform chart that neither helm lint, kubernetes-validate nor checkov check.

Renders come from scripts/helm_check.py (helm-python-sdk, offline) as release `carbon`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

from carbon_runtime import catalog
from scripts import helm_check

REPO_ROOT = Path(__file__).resolve().parents[3]
# The one list of services (services.toml): the rendered chart must run exactly these, each dialling
# its gRPC peers (conventions.md: ISSUANCE_REGISTRY_GRPC_TARGET, TRADING_REGISTRY_..., REPORTING_...).
SERVICES = catalog.names()
RELEASE = helm_check.RELEASE_NAME
DEV_SECRET = "dev-only-insecure-secret"
PEERS = {s.name: set(s.grpc_peers) for s in catalog.load()}

Manifest = dict[str, Any]


def conventions_ports() -> dict[str, tuple[int | None, int | None, str]]:
    """The ports table of docs/conventions.md: name -> (http, grpc, env prefix)."""
    text = (REPO_ROOT / "docs" / "conventions.md").read_text(encoding="utf-8")
    rows: dict[str, tuple[int | None, int | None, str]] = {}
    for match in re.finditer(r"^\|\s*(\w+)\s*\|\s*(\d+)\s*\|\s*(\d+|-)\s*\|\s*(\w+_)\s*\|", text, re.MULTILINE):
        name, http, grpc, prefix = match.groups()
        rows[name] = (int(http), None if grpc == "-" else int(grpc), prefix)
    return rows


PORTS = conventions_ports()


@pytest.fixture(scope="module", params=helm_check.VALUES_FILES)
def docs(request: pytest.FixtureRequest) -> list[Manifest]:
    return helm_check.render(str(request.param))


@pytest.fixture(scope="module")
def prod_docs() -> list[Manifest]:
    return helm_check.render("values-prod.yaml")


@pytest.fixture(scope="module")
def dev_docs() -> list[Manifest]:
    return helm_check.render("values-dev.yaml")


def of_kind(docs: list[Manifest], kind: str) -> list[Manifest]:
    return [d for d in docs if d["kind"] == kind]


def named(docs: list[Manifest], kind: str, name: str) -> Manifest:
    matches = [d for d in of_kind(docs, kind) if d["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def pod_specs(docs: list[Manifest]) -> Iterator[tuple[str, Manifest]]:
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            yield f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]


def env_names(docs: list[Manifest]) -> set[str]:
    names: set[str] = set()
    for _, spec in pod_specs(docs):
        for container in spec["containers"]:
            names.update(e["name"] for e in container.get("env", []))
    for cm in of_kind(docs, "ConfigMap"):
        names.update(cm.get("data", {}))
    for secret in of_kind(docs, "Secret"):
        names.update(secret.get("stringData", {}))
        names.update(secret.get("data", {}))
    return names


def selector(component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "carbon-platform",
        "app.kubernetes.io/instance": RELEASE,
        "app.kubernetes.io/component": component,
    }


def test_conventions_table_is_parsed() -> None:
    assert set(PORTS) >= {"gateway", *SERVICES}
    assert PORTS["registry"] == (8102, 50102, "REGISTRY_")


def test_gateway_routes_to_each_subgraph_service_and_probes_its_health_endpoints(docs: list[Manifest]) -> None:
    data = named(docs, "ConfigMap", f"{RELEASE}-gateway")["data"]
    assert data["GATEWAY_PORT"] == str(PORTS["gateway"][0])
    assert data["GATEWAY_HOST"] == "0.0.0.0"
    for svc in SERVICES:
        assert data[f"GATEWAY_{svc.upper()}_URL"] == f"http://{RELEASE}-{svc}:{PORTS[svc][0]}/graphql"
    container = named(docs, "Deployment", f"{RELEASE}-gateway")["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_every_deployment_has_a_pdb_and_an_hpa(docs: list[Manifest]) -> None:
    deployments = of_kind(docs, "Deployment")
    assert {d["metadata"]["name"] for d in deployments} == {f"{RELEASE}-{c}" for c in (*SERVICES, "gateway", "web")}
    for dep in deployments:
        name = dep["metadata"]["name"]
        labels = dep["spec"]["template"]["metadata"]["labels"]
        pdbs = [
            p
            for p in of_kind(docs, "PodDisruptionBudget")
            if p["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(pdbs) == 1, f"{name} needs exactly one PodDisruptionBudget"
        if name == f"{RELEASE}-web":
            continue  # the explorer: static files, a fixed web.replicas, no autoscaler
        hpas = [h for h in of_kind(docs, "HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"]["name"] == name]
        assert len(hpas) == 1, f"{name} needs exactly one HorizontalPodAutoscaler"
        assert hpas[0]["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert hpas[0]["spec"]["minReplicas"] <= hpas[0]["spec"]["maxReplicas"]


def test_service_probes_use_grpc_health_on_the_service_grpc_port(docs: list[Manifest]) -> None:
    for svc in SERVICES:
        container = named(docs, "Deployment", f"{RELEASE}-{svc}")["spec"]["template"]["spec"]["containers"][0]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert container[probe]["grpc"] == {"port": PORTS[svc][1]}, f"{svc} {probe}"
            assert "httpGet" not in container[probe]
            assert "exec" not in container[probe]


def test_container_and_service_ports_match_conventions(docs: list[Manifest]) -> None:
    for svc in SERVICES:
        http, grpc, _ = PORTS[svc]
        container = named(docs, "Deployment", f"{RELEASE}-{svc}")["spec"]["template"]["spec"]["containers"][0]
        assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"http": http, "grpc": grpc}
        service = named(docs, "Service", f"{RELEASE}-{svc}")
        assert {p["name"]: p["port"] for p in service["spec"]["ports"]} == {"http": http, "grpc": grpc}
    gateway = named(docs, "Deployment", f"{RELEASE}-gateway")["spec"]["template"]["spec"]["containers"][0]
    assert [p["containerPort"] for p in gateway["ports"]] == [PORTS["gateway"][0]]
    assert [p["port"] for p in named(docs, "Service", f"{RELEASE}-gateway")["spec"]["ports"]] == [PORTS["gateway"][0]]


def test_env_ports_and_peer_targets_match_conventions(docs: list[Manifest]) -> None:
    for svc in SERVICES:
        http, grpc, prefix = PORTS[svc]
        data = named(docs, "ConfigMap", f"{RELEASE}-{svc}")["data"]
        assert data[f"{prefix}HTTP_PORT"] == str(http)
        assert data[f"{prefix}GRPC_PORT"] == str(grpc)
        targets = {k: v for k, v in data.items() if k.endswith("_GRPC_TARGET")}
        assert targets == {
            f"{prefix}{peer.upper()}_GRPC_TARGET": f"{RELEASE}-{peer}:{PORTS[peer][1]}" for peer in PEERS[svc]
        }
        # Every variable of a service carries its prefix, except the shared CARBON_* ones.
        assert all(k.startswith(prefix) or k.startswith("CARBON_") for k in data), sorted(data)
        for key in ("KAFKA_BOOTSTRAP_SERVERS", "OTLP_ENDPOINT", "ENVIRONMENT", "LOG_LEVEL", "HOST"):
            assert f"{prefix}{key}" in data
        container = named(docs, "Deployment", f"{RELEASE}-{svc}")["spec"]["template"]["spec"]["containers"][0]
        db = next(e for e in container["env"] if e["name"] == f"{prefix}DATABASE_URL")
        assert "secretKeyRef" in db["valueFrom"], "the DSN comes from a Secret"
        assert container["command"] == ["python", "-m", f"services.{svc}", "serve"]


def test_each_service_reads_its_dsn_from_its_own_secret(docs: list[Manifest]) -> None:
    secrets = set()
    for svc in SERVICES:
        container = named(docs, "Deployment", f"{RELEASE}-{svc}")["spec"]["template"]["spec"]["containers"][0]
        db = next(e for e in container["env"] if e["name"].endswith("_DATABASE_URL"))
        secrets.add(db["valueFrom"]["secretKeyRef"]["name"])
    assert len(secrets) == len(SERVICES)


def test_every_pod_and_container_is_hardened(docs: list[Manifest]) -> None:
    specs = list(pod_specs(docs))
    assert len(specs) == 2 * len(SERVICES) + 2  # four Deployments + gateway + explorer + four migration Jobs
    for where, spec in specs:
        assert spec["automountServiceAccountToken"] is False, where
        assert spec["serviceAccountName"], where
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, where
        assert pod["runAsUser"] > 0, where
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, where
        tmp_volumes = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for container in spec["containers"]:
            sc = container["securityContext"]
            assert sc["runAsNonRoot"] is True, where
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc["capabilities"] == {"drop": ["ALL"]}, where
            assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, where
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts.get("/tmp") in tmp_volumes, f"{where}: /tmp must be an emptyDir"
            assert set(container["resources"]) == {"requests", "limits"}, where
    for sa in of_kind(docs, "ServiceAccount"):
        assert sa["automountServiceAccountToken"] is False


def test_migrations_run_as_pre_install_and_pre_upgrade_hooks(prod_docs: list[Manifest]) -> None:
    jobs = of_kind(prod_docs, "Job")
    assert {j["metadata"]["name"] for j in jobs} == {f"{RELEASE}-{s}-migrate" for s in SERVICES}
    for job in jobs:
        svc = job["metadata"]["name"].removeprefix(f"{RELEASE}-").removesuffix("-migrate")
        assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
        container = job["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["python", "-m", f"services.{svc}", "migrate"]
        # A pre-install hook runs before the release's ConfigMaps exist: nothing may reference them.
        assert "envFrom" not in container


def test_production_carries_no_hs256_secret(prod_docs: list[Manifest]) -> None:
    assert "CARBON_JWT_SECRET" not in env_names(prod_docs)
    assert all(DEV_SECRET not in str(doc) for doc in prod_docs)
    for svc in SERVICES:
        data = named(prod_docs, "ConfigMap", f"{RELEASE}-{svc}")["data"]
        assert data["CARBON_OIDC_ISSUER"].startswith("https://")
        assert data["CARBON_JWKS_URL"].startswith("https://")
        assert data[f"{PORTS[svc][2]}ENVIRONMENT"] == "production"
    # GATEWAY_ENVIRONMENT=production is what turns introspection off in gateway/gateway.config.ts.
    assert named(prod_docs, "ConfigMap", f"{RELEASE}-gateway")["data"]["GATEWAY_ENVIRONMENT"] == "production"
    for svc in SERVICES:
        container = named(prod_docs, "Deployment", f"{RELEASE}-{svc}")["spec"]["template"]["spec"]["containers"][0]
        service_secret = next(e for e in container["env"] if e["name"] == "CARBON_SERVICE_SECRET")
        assert service_secret["valueFrom"]["secretKeyRef"]["name"] == "carbon-service-secret"
    gateway = named(prod_docs, "Deployment", f"{RELEASE}-gateway")["spec"]["template"]["spec"]["containers"][0]
    assert all(e["name"] != "CARBON_SERVICE_SECRET" for e in gateway["env"]), "the gateway never mints service tokens"
    # Production creates no Secret of its own: every secret is an existing one.
    assert of_kind(prod_docs, "Secret") == []


def test_dev_reads_the_hs256_secret_from_a_secret(dev_docs: list[Manifest]) -> None:
    secret = named(dev_docs, "Secret", f"{RELEASE}-auth")
    assert secret["stringData"]["jwt-secret"] == DEV_SECRET
    for svc in (*SERVICES, "gateway"):
        container = named(dev_docs, "Deployment", f"{RELEASE}-{svc}")["spec"]["template"]["spec"]["containers"][0]
        jwt = next(e for e in container["env"] if e["name"] == "CARBON_JWT_SECRET")
        assert jwt["valueFrom"]["secretKeyRef"] == {"name": f"{RELEASE}-auth", "key": "jwt-secret"}
        assert any(e["name"] == "CARBON_GATEWAY_SECRET" for e in container["env"])


@pytest.mark.parametrize("jwt_secret", [DEV_SECRET, "some-other-hs256-secret"])
def test_production_render_fails_when_a_jwt_secret_is_set(jwt_secret: str) -> None:
    with pytest.raises(helm.HelmError, match="jwtSecret"):
        helm_check.render("values-prod.yaml", {"auth": {"jwtSecret": jwt_secret}})


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"auth": {"oidcIssuer": ""}}, "oidcIssuer"),
        ({"auth": {"jwksUrl": ""}}, "jwksUrl"),
        ({"auth": {"gatewaySecret": {"existingSecret": "", "value": "inline"}}}, "gatewaySecret"),
        ({"auth": {"serviceSecret": {"existingSecret": "", "value": ""}}}, "serviceSecret"),
    ],
)
def test_production_render_fails_without_oidc_or_with_dev_conveniences(override: dict[str, Any], message: str) -> None:
    with pytest.raises(helm.HelmError, match=message):
        helm_check.render("values-prod.yaml", override)


@pytest.fixture(scope="module")
def chart_without_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the chart minus values.schema.json: proves the template guards on their own
    (as with `helm install --skip-schema-validation`)."""
    copy = tmp_path_factory.mktemp("chart") / "carbon-platform"
    shutil.copytree(helm_check.CHART_DIR, copy)
    (copy / "values.schema.json").unlink()
    return copy


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"auth": {"jwtSecret": DEV_SECRET}}, "is the dev secret 'dev-only-insecure-secret': refused in production"),
        ({"auth": {"jwtSecret": "x"}}, "auth.jwtSecret must not be set in production"),
        ({"auth": {"jwksUrl": ""}}, "auth.jwksUrl is required in production"),
        ({"auth": {"serviceSecret": {"existingSecret": ""}}}, "auth.serviceSecret.existingSecret is required"),
    ],
)
def test_templates_refuse_insecure_production_even_without_schema(
    chart_without_schema: Path, override: dict[str, Any], message: str
) -> None:
    values = helm_check.load_values("values-prod.yaml", override)
    with helm.Chart.load(chart_without_schema) as chart, pytest.raises(helm.HelmRenderError, match=re.escape(message)):
        chart.render(values, name=RELEASE, namespace="carbon")


def test_schema_rejects_unknown_top_level_keys() -> None:
    with pytest.raises(helm.HelmValuesError, match="additional properties"):
        helm_check.render("values-dev.yaml", {"replicaCount": 3})


def test_default_values_hold_no_secrets() -> None:
    with helm.Chart.load(helm_check.CHART_DIR) as chart:
        defaults = chart.values
    assert defaults["auth"]["jwtSecret"] == ""
    assert defaults["auth"]["gatewaySecret"]["value"] == ""
    assert all(svc["database"]["secretName"] == "" for svc in defaults["services"].values())
    prod = helm_check.load_values("values-prod.yaml")
    assert prod["auth"]["jwtSecret"] == ""
    assert prod["auth"]["gatewaySecret"]["value"] == ""


def policy_for(docs: list[Manifest], component: str) -> Manifest:
    policies = [
        p for p in of_kind(docs, "NetworkPolicy") if p["spec"]["podSelector"]["matchLabels"] == selector(component)
    ]
    assert len(policies) == 1, f"{component} needs exactly one NetworkPolicy"
    return policies[0]


def test_only_the_gateway_reaches_subgraph_http_ports(docs: list[Manifest]) -> None:
    for svc in SERVICES:
        http, grpc, _ = PORTS[svc]
        policy = policy_for(docs, svc)
        assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        for rule in policy["spec"]["ingress"]:
            assert rule.get("from"), f"{svc}: an ingress rule without `from` admits every pod"
            ports = {p["port"] for p in rule["ports"]}
            assert ports in ({http}, {grpc}), f"{svc}: unexpected ingress ports {ports}"
        http_rules = [r for r in policy["spec"]["ingress"] if {p["port"] for p in r["ports"]} == {http}]
        pod_peers = [peer for r in http_rules for peer in r["from"] if "namespaceSelector" not in peer]
        # Inside the namespace only the gateway; the other HTTP rule is the Prometheus scrape.
        assert pod_peers == [{"podSelector": {"matchLabels": selector("gateway")}}]
        scrapers = [peer for r in http_rules for peer in r["from"] if "namespaceSelector" in peer]
        assert all(p["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "prometheus"} for p in scrapers), (
            scrapers
        )


def test_only_calling_services_reach_grpc_ports(docs: list[Manifest]) -> None:
    for svc in SERVICES:
        grpc = PORTS[svc][1]
        policy = policy_for(docs, svc)
        rules = [r for r in policy["spec"]["ingress"] if {p["port"] for p in r["ports"]} == {grpc}]
        callers = {
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for r in rules for peer in r["from"]
        }
        expected = {other for other, peers in PEERS.items() if svc in peers}
        assert callers == expected, svc
        assert all(set(peer) == {"podSelector"} for r in rules for peer in r["from"]), "no cross-namespace gRPC"


def test_egress_is_limited_to_declared_destinations(docs: list[Manifest]) -> None:
    allowed_ports = {53, 9092, 9093, 5432, 4317, 4318, 443} | {PORTS[s][0] for s in SERVICES}
    allowed_ports |= {PORTS[s][1] for s in SERVICES}
    for component in (*SERVICES, "gateway"):
        for rule in policy_for(docs, component)["spec"]["egress"]:
            assert rule.get("to"), f"{component}: an egress rule without `to` allows everywhere"
            assert {p["port"] for p in rule["ports"]} <= allowed_ports
    web_rules = policy_for(docs, "web")["spec"]["egress"]
    assert all(rule.get("to") for rule in web_rules), "web: an egress rule without `to` allows everywhere"
    assert {p["port"] for r in web_rules for p in r["ports"]} == {53, PORTS["gateway"][0]}, "DNS and the gateway only"
    gateway_ports = {p["port"] for r in policy_for(docs, "gateway")["spec"]["egress"] for p in r["ports"]}
    assert gateway_ports.isdisjoint({PORTS[s][1] for s in SERVICES}), "the gateway never speaks gRPC"
    assert gateway_ports.isdisjoint({5432, 9092, 9093}), "the gateway reaches no database or broker"


def test_every_workload_pod_is_selected_by_a_network_policy(docs: list[Manifest]) -> None:
    policies = of_kind(docs, "NetworkPolicy")
    for where, _ in pod_specs(docs):
        doc = next(d for d in docs if f"{d['kind']}/{d['metadata']['name']}" == where)
        labels = doc["spec"]["template"]["metadata"]["labels"]
        assert any(p["spec"]["podSelector"]["matchLabels"].items() <= labels.items() for p in policies), where


def test_kafka_topics_follow_the_naming_convention(prod_docs: list[Manifest]) -> None:
    topics = of_kind(prod_docs, "KafkaTopic")
    assert {t["spec"]["topicName"] for t in topics} == {f"carbon.{s}.events.v1" for s in SERVICES}
    for topic in topics:
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "carbon-kafka"
        assert topic["spec"]["partitions"] >= 1


def test_services_are_scraped_by_prometheus(docs: list[Manifest]) -> None:
    for svc in SERVICES:
        annotations = named(docs, "Deployment", f"{RELEASE}-{svc}")["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == str(PORTS[svc][0])
        assert annotations["prometheus.io/path"] == "/metrics"


def test_helm_check_script_passes_end_to_end() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "helm_check.py")],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "helm-check summary: 3 of 3 targets clean" in proc.stdout
    assert "== values-dev.yaml: OK" in proc.stdout
    assert "== values-prod.yaml: OK" in proc.stdout
    assert "== deploy/docker: OK" in proc.stdout


def test_helm_check_reports_an_insecure_manifest() -> None:
    """The checkers themselves bite: a privileged container with an unknown field must fail."""
    deployment = named(helm_check.render("values-prod.yaml"), "Deployment", f"{RELEASE}-issuance")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["privileged"] = True
    container["notAField"] = True
    report = helm_check.Report("tampered")
    helm_check.validate_schemas([deployment], report)
    helm_check.run_checkov_on_manifests([deployment], report)
    assert any("notAField" in e for e in report.errors), report.errors
    assert any("CKV_K8S_16" in e for e in report.errors), report.errors


def test_otel_collector_example_wires_otlp_through_batch_to_an_exporter() -> None:
    config = yaml.safe_load((REPO_ROOT / "deploy" / "otel-collector.yaml").read_text(encoding="utf-8"))
    assert set(config["receivers"]["otlp"]["protocols"]) == {"grpc", "http"}
    pipelines = config["service"]["pipelines"]
    assert {"traces", "metrics", "logs"} <= set(pipelines)
    for name, pipeline in pipelines.items():
        assert pipeline["receivers"] == ["otlp"], name
        assert pipeline["processors"][-1] == "batch", f"{name}: batch last, after filtering"
        for kind in ("receivers", "processors", "exporters"):
            assert set(pipeline[kind]) <= set(config[kind]), f"{name}: undefined {kind}"
        assert pipeline["exporters"], name


def test_trading_runs_as_a_single_engine_owner(docs: list[Manifest]) -> None:
    deployment = named(docs, "Deployment", "carbon-trading")
    assert deployment["spec"]["strategy"]["type"] == "Recreate", "two pods must never match one book"
    hpa = named(docs, "HorizontalPodAutoscaler", "carbon-trading")
    assert hpa["spec"]["maxReplicas"] == 1


def test_render_fails_when_trading_would_scale_out() -> None:
    with pytest.raises(helm.HelmError, match="maxReplicas must be 1"):
        helm_check.render("values-dev.yaml", {"services": {"trading": {"autoscaling": {"maxReplicas": 2}}}})


def test_each_service_has_its_own_broker_credentials_and_writes_only_its_topic(prod_docs: list[Manifest]) -> None:
    """Issue 14, item 5: a producer writes its own topic only; a leaked credential of one service
    cannot forge another service's events."""
    users = {u["metadata"]["name"]: u for u in of_kind(prod_docs, "KafkaUser")}
    assert len(users) == len(SERVICES)
    for svc in SERVICES:
        user = users[f"carbon-platform-{svc}"]
        acls = user["spec"]["authorization"]["acls"]
        writable = [a["resource"]["name"] for a in acls if "Write" in a["operations"]]
        assert writable == [f"carbon.{svc}.events.v1"]
    passwords = {
        e["valueFrom"]["secretKeyRef"]["name"]
        for _, spec in pod_specs(prod_docs)
        for container in spec["containers"]
        for e in container.get("env", [])
        if e["name"].endswith("KAFKA_SASL_PASSWORD")
    }
    assert passwords == {f"carbon-platform-{svc}" for svc in SERVICES}


# --- the public explorer (web/, templates/web.yaml) and the optional Ingress ----------------------------

WEB_PORT = 8080  # deploy/docker/web.Dockerfile: WEB_PORT and EXPOSE


def test_the_explorer_deployment_is_hardened_and_probes_healthz(docs: list[Manifest]) -> None:
    deployment = named(docs, "Deployment", f"{RELEASE}-web")
    assert deployment["spec"]["selector"]["matchLabels"] == selector("web")
    spec = deployment["spec"]["template"]["spec"]
    assert spec["automountServiceAccountToken"] is False
    assert named(docs, "ServiceAccount", spec["serviceAccountName"])["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 10001, "the image's numeric user"
    (container,) = spec["containers"]
    assert container["image"].rsplit("/", 1)[-1].startswith("carbon-web:")
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert [p["containerPort"] for p in container["ports"]] == [WEB_PORT]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}, probe
    assert set(container["resources"]) == {"requests", "limits"}
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["WEB_HOST"] == "0.0.0.0"
    assert env["WEB_PORT"] == str(WEB_PORT)
    assert env["WEB_GATEWAY_URL"] == f"http://{RELEASE}-gateway:{PORTS['gateway'][0]}/graphql"
    assert not any("valueFrom" in e for e in container["env"]), "the explorer holds no secret"
    service = named(docs, "Service", f"{RELEASE}-web")
    assert service["spec"]["selector"] == selector("web")
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(WEB_PORT, "http")]
    ingress_ports = {p["port"] for r in policy_for(docs, "web")["spec"]["ingress"] for p in r["ports"]}
    assert ingress_ports == {WEB_PORT}


def test_the_explorer_follows_the_gateways_public_edge(prod_docs: list[Manifest]) -> None:
    """Production narrows who reaches the gateway to the ingress controller: the explorer gets the same
    sources, and its pods are allowed to the gateway for their /graphql proxy."""
    (web_rule,) = policy_for(prod_docs, "web")["spec"]["ingress"]
    (gateway_rule,) = policy_for(prod_docs, "gateway")["spec"]["ingress"]
    edge = [peer for peer in gateway_rule["from"] if "namespaceSelector" in peer]
    assert edge and web_rule["from"] == edge
    assert {"podSelector": {"matchLabels": selector("web")}} in gateway_rule["from"]


def ingress_paths(docs: list[Manifest]) -> dict[str, tuple[str, str, int]]:
    (ingress,) = of_kind(docs, "Ingress")
    (rule,) = ingress["spec"]["rules"]
    return {
        p["path"]: (p["pathType"], p["backend"]["service"]["name"], p["backend"]["service"]["port"]["number"])
        for p in rule["http"]["paths"]
    }


def test_the_ingress_is_off_unless_enabled(dev_docs: list[Manifest]) -> None:
    assert of_kind(dev_docs, "Ingress") == []


def test_the_ingress_sends_graphql_to_the_gateway_and_the_rest_to_the_explorer() -> None:
    docs = helm_check.render(
        "values-dev.yaml",
        {"ingress": {"enabled": True, "className": "nginx", "host": "registry.example.jp", "tlsSecretName": "tls"}},
    )
    (ingress,) = of_kind(docs, "Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["rules"][0]["host"] == "registry.example.jp"
    assert ingress["spec"]["tls"] == [{"hosts": ["registry.example.jp"], "secretName": "tls"}]
    assert ingress_paths(docs) == {
        "/graphql": ("Exact", f"{RELEASE}-gateway", PORTS["gateway"][0]),
        "/": ("Prefix", f"{RELEASE}-web", WEB_PORT),
    }
    # Both backends exist under those names and ports.
    assert [p["port"] for p in named(docs, "Service", f"{RELEASE}-gateway")["spec"]["ports"]] == [PORTS["gateway"][0]]
    assert [p["port"] for p in named(docs, "Service", f"{RELEASE}-web")["spec"]["ports"]] == [WEB_PORT]


def test_the_production_example_serves_one_host_over_tls(prod_docs: list[Manifest]) -> None:
    (ingress,) = of_kind(prod_docs, "Ingress")
    assert ingress["spec"]["tls"][0]["hosts"] == [ingress["spec"]["rules"][0]["host"]]
    assert set(ingress_paths(prod_docs)) == {"/graphql", "/"}


def test_without_the_explorer_the_ingress_serves_only_the_graph() -> None:
    docs = helm_check.render(
        "values-dev.yaml", {"web": {"enabled": False}, "ingress": {"enabled": True, "host": "a.b"}}
    )
    assert not [d for d in docs if d["metadata"]["name"] == f"{RELEASE}-web"]
    assert "tls" not in of_kind(docs, "Ingress")[0]["spec"]
    assert ingress_paths(docs) == {"/graphql": ("Exact", f"{RELEASE}-gateway", PORTS["gateway"][0])}


def test_an_enabled_ingress_needs_a_host() -> None:
    with pytest.raises(helm.HelmError, match="host"):
        helm_check.render("values-dev.yaml", {"ingress": {"enabled": True}})


def test_the_explorer_image_follows_the_chart_unless_given_its_own_tag() -> None:
    def image(overrides: dict[str, Any]) -> str:
        docs = helm_check.render("values-dev.yaml", overrides)
        return str(named(docs, "Deployment", f"{RELEASE}-web")["spec"]["template"]["spec"]["containers"][0]["image"])

    digest = "sha256:" + "a" * 64
    assert image({"image": {"tag": "1.2.3"}}).endswith("/carbon-web:1.2.3")
    assert image({"image": {"tag": "1.2.3", "digest": digest}, "web": {"image": {"tag": "1.2.4"}}}).endswith(
        "/carbon-web:1.2.4"
    ), "the chart's digest belongs to the chart's tag"
    assert image({"web": {"image": {"tag": "1.2.4", "digest": digest}}}).endswith(f"/carbon-web:1.2.4@{digest}")


def test_production_gateway_runs_only_persisted_documents(prod_docs: list[Manifest]) -> None:
    """Issue 14, item 4: the allowlist is mounted and named to the gateway in production."""
    gateway = named(prod_docs, "Deployment", "carbon-gateway")
    container = gateway["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    assert env["GATEWAY_PERSISTED_DOCUMENTS_FILE"] == "/etc/carbon/persisted-documents/documents.json"
    volumes = {v["name"]: v for v in gateway["spec"]["template"]["spec"]["volumes"]}
    assert volumes["persisted-documents"]["configMap"]["name"] == "carbon-persisted-documents"
    with pytest.raises(helm.HelmError, match="persistedDocuments"):
        helm_check.render("values-prod.yaml", {"gateway": {"persistedDocuments": {"configMap": ""}}})
