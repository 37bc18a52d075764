"""Lint, render and validate the carbon-platform Helm chart, offline.

For each of values-dev.yaml and values-prod.yaml:
1. `helm lint --strict` (helm-python-sdk, Helm's Go SDK, no helm binary) for Kubernetes 1.33;
2. render the chart (hooks included) as release `carbon` in namespace `carbon`;
3. validate every rendered manifest with kubernetes-validate, strict mode (unknown fields are
   errors), against the Kubernetes 1.33 schemas. Custom resources (Strimzi KafkaTopic,
   CloudNativePG Cluster, Prometheus ServiceMonitor) have no schema there: they are listed as
   skipped for schema validation only; every other check still sees them;
4. run checkov's Kubernetes checks on the rendered manifests; any failed check fails the run.
   Skips live in the templates as `checkov.io/skipN` annotations, each with its reason.

Exit status is non-zero on any failure. Usage: .venv/bin/python scripts/helm_check.py
checkov runs from its own virtualenv (.venv-tools/bin/checkov, or $CHECKOV_BIN) because its pins
conflict with the service dependencies in .venv.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
CHART_DIR = REPO_ROOT / "deploy" / "helm" / "carbon-platform"
DOCKER_DIR = REPO_ROOT / "deploy" / "docker"
VALUES_FILES = ("values-dev.yaml", "values-prod.yaml")
RELEASE_NAME = "carbon"
NAMESPACE = "carbon"
KUBE_VERSION = "1.33.0"

# API groups of custom resources; kubernetes-validate ships only built-in Kubernetes schemas.
CRD_GROUPS = frozenset({"kafka.strimzi.io", "postgresql.cnpg.io", "monitoring.coreos.com"})

Manifest = dict[str, Any]


@dataclass
class Report:
    """Outcome of every check for one values file."""

    values_file: str
    framework: str = "kubernetes"
    manifests: int = 0
    errors: list[str] = field(default_factory=list)
    schema_skipped: list[str] = field(default_factory=list)
    checkov_passed: int = 0
    checkov_skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Merge `override` into a copy of `base` the way Helm coalesces values files."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load_values(values_file: str | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """User values for a render: a values file of the chart plus optional overrides."""
    values: dict[str, Any] = {}
    if values_file is not None:
        loaded = yaml.safe_load((CHART_DIR / values_file).read_text(encoding="utf-8"))
        values = loaded if isinstance(loaded, dict) else {}
    return deep_merge(values, overrides or {})


def render_templates(values: dict[str, Any]) -> dict[str, str]:
    """Template path -> rendered text. Raises helm.HelmError when a template `fail`s or the
    values break values.schema.json."""
    with helm.Chart.load(CHART_DIR) as chart:
        return chart.render(values, name=RELEASE_NAME, namespace=NAMESPACE, is_install=True)


def parse_manifests(rendered: dict[str, str]) -> list[Manifest]:
    """Every Kubernetes object in the render, in template order (NOTES.txt is not a manifest)."""
    docs: list[Manifest] = []
    for path in sorted(rendered):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(rendered[path]):
            if isinstance(doc, dict) and doc:
                docs.append(doc)
    return docs


def render(values_file: str | None = None, overrides: dict[str, Any] | None = None) -> list[Manifest]:
    """Render the chart with a values file (and overrides) into parsed manifests."""
    return parse_manifests(render_templates(load_values(values_file, overrides)))


def describe(doc: Manifest) -> str:
    meta = doc.get("metadata") or {}
    return f"{doc.get('kind')}/{meta.get('name')}"


def lint(values: dict[str, Any]) -> list[str]:
    """`helm lint --strict` findings of warning severity or worse."""
    report = helm.lint(CHART_DIR, values, strict=True, namespace=NAMESPACE, kube_version=f"v{KUBE_VERSION}")
    # Severity 2 = warning, 3 = error; `report["errors"]` repeats the error messages.
    return [f"lint {m['path']}: {str(m['error']).strip()}" for m in report["messages"] if int(m["severity"]) >= 2]


def is_custom_resource(doc: Manifest) -> bool:
    group = str(doc.get("apiVersion", "")).rpartition("/")[0]
    return group in CRD_GROUPS


def validate_schemas(docs: list[Manifest], report: Report) -> None:
    for doc in docs:
        if is_custom_resource(doc):
            report.schema_skipped.append(describe(doc))
            continue
        try:
            kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = "/".join(str(p) for p in exc.path)
            report.errors.append(f"schema {describe(doc)} at {path or '/'}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            report.errors.append(f"schema {describe(doc)}: no Kubernetes {KUBE_VERSION} schema ({exc})")


def checkov_binary() -> str | None:
    configured = os.environ.get("CHECKOV_BIN")
    if configured:
        return configured
    local = REPO_ROOT / ".venv-tools" / "bin" / "checkov"
    if local.exists():
        return str(local)
    return shutil.which("checkov")


def run_checkov(directory: Path, framework: str, report: Report) -> None:
    """Run checkov's `framework` checks on `directory`; failed checks become report errors."""
    binary = checkov_binary()
    if binary is None:
        report.errors.append("checkov not found: install it into .venv-tools (see deploy/README.md)")
        return
    env = dict(os.environ)
    # Offline: no guideline download (--skip-download), no Prisma mapping, no package scan.
    env.update({"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "LOG_LEVEL": "ERROR"})
    proc = subprocess.run(
        [
            binary,
            "--directory",
            str(directory),
            "--framework",
            framework,
            "--output",
            "json",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    try:
        parsed = json.loads(proc.stdout)
    except json.JSONDecodeError:
        report.errors.append(f"checkov produced no JSON (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
        return
    for block in parsed if isinstance(parsed, list) else [parsed]:
        results = block.get("results", {}) if isinstance(block, dict) else {}
        report.checkov_passed += len(results.get("passed_checks", []))
        for check in results.get("failed_checks", []):
            report.errors.append(f"checkov {check['check_id']} {check.get('resource')}: {check.get('check_name')}")
        for check in results.get("skipped_checks", []):
            reason = (check.get("check_result") or {}).get("suppress_comment", "")
            report.checkov_skipped.append(f"{check['check_id']} {check.get('resource')}: {reason}")
    if proc.returncode not in (0, 1):
        report.errors.append(f"checkov exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")


def run_checkov_on_manifests(docs: list[Manifest], report: Report) -> None:
    with tempfile.TemporaryDirectory(prefix="helm-check-") as tmp:
        for index, doc in enumerate(docs):
            name = f"{index:03d}-{doc.get('kind', 'x')}-{(doc.get('metadata') or {}).get('name', 'x')}.yaml"
            (Path(tmp) / name).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        run_checkov(Path(tmp), "kubernetes", report)


def check_dockerfiles() -> Report:
    """checkov's Dockerfile checks on deploy/docker (pinned bases, USER, HEALTHCHECK...)."""
    report = Report("deploy/docker", framework="dockerfile")
    report.manifests = len(list(DOCKER_DIR.glob("*.Dockerfile")))
    run_checkov(DOCKER_DIR, "dockerfile", report)
    return report


def check_values_file(values_file: str, *, with_checkov: bool = True) -> Report:
    report = Report(values_file)
    values = load_values(values_file)
    report.errors.extend(lint(values))
    try:
        docs = parse_manifests(render_templates(values))
    except helm.HelmError as exc:
        report.errors.append(f"render: {exc}")
        return report
    report.manifests = len(docs)
    validate_schemas(docs, report)
    if with_checkov:
        run_checkov_on_manifests(docs, report)
    return report


def print_report(report: Report) -> None:
    status = "OK" if report.ok else "FAILED"
    print(f"== {report.values_file}: {status}")
    if report.framework == "kubernetes":
        print(f"   manifests rendered: {report.manifests} (release {RELEASE_NAME}, namespace {NAMESPACE})")
        print(
            f"   kubernetes-validate {KUBE_VERSION} strict: {report.manifests - len(report.schema_skipped)} "
            f"validated; custom resources not schema-validated: {', '.join(report.schema_skipped) or 'none'}"
        )
    else:
        print(f"   Dockerfiles scanned: {report.manifests}")
    print(
        f"   checkov {report.framework}: {report.checkov_passed} checks passed, {len(report.checkov_skipped)} skipped"
    )
    for reason in sorted({s.split(" ", 1)[0] + " - " + s.split(": ", 1)[-1] for s in report.checkov_skipped}):
        print(f"     skip {reason}")
    for error in report.errors:
        print(f"   ERROR {error}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--values", action="append", choices=VALUES_FILES, help="values file(s) to check")
    parser.add_argument("--no-checkov", action="store_true", help="skip the checkov step (local iteration)")
    args = parser.parse_args(argv)
    helm.disable_logging()
    reports = [check_values_file(v, with_checkov=not args.no_checkov) for v in (args.values or VALUES_FILES)]
    if not args.no_checkov:
        reports.append(check_dockerfiles())
    for report in reports:
        print_report(report)
    failed = [r.values_file for r in reports if not r.ok]
    print(f"helm-check summary: {len(reports) - len(failed)} of {len(reports)} targets clean")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
