"""services.toml is the one list of services (issue 12 item 3): what reads it follows it, and what
cannot read it is checked against it here.

Read it: the dev-stack launcher (tooling/devstack.py), the SDL dump (scripts/dump_sdl.py) and the
gateway's composition (gateway/compose.mjs). Checked against it: the Helm chart's service table and
values, import-linter's per-service lists, the event envelope's producers, docs/conventions.md's
ports and the committed subgraph SDLs. All static: no service is imported, no process started but
one `node -e`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from carbon_runtime import catalog
from carbon_runtime.catalog import CatalogError, ServiceSpec

ROOT = Path(__file__).resolve().parents[3]
CHART = ROOT / "deploy" / "helm" / "carbon-platform"


@pytest.fixture(scope="module")
def specs() -> tuple[ServiceSpec, ...]:
    return catalog.load()


@pytest.fixture(scope="module")
def names(specs: tuple[ServiceSpec, ...]) -> list[str]:
    return [s.name for s in specs]


# --- the file itself ---------------------------------------------------------------------------------


def test_every_service_of_the_catalog_is_a_package_with_a_main(specs: tuple[ServiceSpec, ...]) -> None:
    for s in specs:
        package = ROOT / s.module.replace(".", "/")
        assert (package / "__main__.py").is_file(), f"{s.module} runs as `python -m {s.module}`"
        assert (package / "bootstrap.py").is_file(), f"{s.module}.bootstrap builds the service"
        assert (ROOT / "protos" / Path(*s.proto_package.split("."))).is_dir(), f"protos for {s.proto_package}"


def test_every_service_package_is_in_the_catalog(names: list[str]) -> None:
    packages = {p.parent.name for p in (ROOT / "services").glob("*/__main__.py")}
    assert packages == set(names), "a service package missing from services.toml, or the reverse"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "services.toml"
    path.write_text(body)
    return path


GOOD = """
[services.alpha]
module = "services.alpha"
http_port = 1
grpc_port = 2
subgraph = true
produces = "carbon.alpha.events.v1"
proto_package = "carbon.alpha.v1"
envelope_fields = [100, 199]

[services.beta]
module = "services.beta"
http_port = 3
grpc_port = 4
consumes = ["carbon.alpha.events.v1"]
proto_package = "carbon.beta.v1"
grpc_peers = ["alpha"]
"""


def test_the_loader_reads_tables_in_order_into_frozen_specs(tmp_path: Path) -> None:
    alpha, beta = catalog.load(_write(tmp_path, GOOD))
    assert (alpha.name, beta.name) == ("alpha", "beta")
    assert alpha.produces == "carbon.alpha.events.v1" and alpha.envelope_fields == (100, 199)
    assert beta.consumes == ("carbon.alpha.events.v1",) and beta.grpc_peers == ("alpha",)
    assert beta.subgraph is False and beta.produces is None and beta.env_prefix == "BETA_"
    with pytest.raises(AttributeError):
        alpha.http_port = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('produces = "carbon.alpha.events.v1"', 'produces = "alpha-events"'), "carbon.alpha.events.v1"),
        (('grpc_peers = ["alpha"]', 'grpc_peers = ["gamma"]'), "is not another service"),
        (('consumes = ["carbon.alpha.events.v1"]', 'consumes = ["carbon.gamma.events.v1"]'), "no service produces"),
        (("grpc_port = 4", "grpc_port = 2"), "already services.alpha.grpc_port"),
        (('module = "services.beta"', 'module = "services.other"'), "expected services.beta"),
        (("http_port = 3", 'http_port = "3"'), "expected int"),
        (("http_port = 3", "http_port = 3\nport = 9"), "unknown keys"),
    ],
)
def test_the_loader_refuses_an_inconsistent_catalog(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(CatalogError, match=re.escape(message)):
        catalog.load(_write(tmp_path, GOOD.replace(*change)))


# --- readers -----------------------------------------------------------------------------------------


def test_the_dev_stack_starts_the_catalog(specs: tuple[ServiceSpec, ...]) -> None:
    from tooling import devstack

    assert list(devstack.SERVICES) == [s.name for s in specs]
    assert {s.name: s.http_port for s in specs} == devstack.DEFAULT_HTTP
    assert {s.name: s.grpc_port for s in specs} == devstack.DEFAULT_GRPC
    assert {s.name: s.module for s in specs} == devstack.MODULES
    assert set(devstack.TOPICS) == {s.produces for s in specs if s.produces}
    assert set(devstack.TOPICS) >= {t for s in specs for t in s.consumes}


_PRODUCERS = re.compile(r"^PRODUCERS: tuple\[str, \.\.\.\] = \(([^)]*)\)", re.MULTILINE)


def test_every_consuming_service_has_a_consumer_of_exactly_its_topics(specs: tuple[ServiceSpec, ...]) -> None:
    """A service that declares `consumes` reads those topics (entrypoints/consumer.py's PRODUCERS, read
    as text), and a service with a consumer declares what it reads."""
    for s in specs:
        path = ROOT / "services" / s.name / "entrypoints" / "consumer.py"
        if not s.consumes:
            assert not path.exists(), f"{s.name} has a Kafka consumer but services.toml declares no `consumes`"
            continue
        assert path.is_file(), f"{s.name} consumes {list(s.consumes)} but has no entrypoints/consumer.py"
        found = _PRODUCERS.search(path.read_text(encoding="utf-8"))
        assert found, f"{path}: declare PRODUCERS: tuple[str, ...] = (...)"
        producers = re.findall(r'"(\w+)"', found.group(1))
        assert {f"carbon.{p}.events.v1" for p in producers} == set(s.consumes), f"{s.name}'s consumer topics"


def test_dump_sdl_writes_one_file_per_subgraph_service(
    specs: tuple[ServiceSpec, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scripts import dump_sdl

    imported: list[str] = []

    def fake_sdl(module: str) -> str:
        imported.append(module)
        return "type Query { ok: Boolean }"

    monkeypatch.setattr(dump_sdl, "load_sdl", fake_sdl)
    assert dump_sdl.main(str(tmp_path)) == 0
    subgraphs = [s for s in specs if s.subgraph]
    assert imported == [s.module for s in subgraphs]
    assert sorted(p.stem for p in tmp_path.glob("*.graphql")) == sorted(s.name for s in subgraphs)


def test_the_committed_subgraphs_are_the_catalogs_subgraph_services(specs: tuple[ServiceSpec, ...]) -> None:
    committed = {p.stem for p in (ROOT / "gateway" / "subgraphs").glob("*.graphql")}
    assert committed == {s.name for s in specs if s.subgraph}


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_gateway_composition_routes_the_catalogs_subgraphs_to_their_dev_ports(specs: tuple[ServiceSpec, ...]) -> None:
    script = "import('./gateway/compose.mjs').then((m) => console.log(JSON.stringify(m.defaultSubgraphUrls())))"
    out = subprocess.run(["node", "-e", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    urls = json.loads(out.stdout)
    assert urls == {s.name: f"http://127.0.0.1:{s.http_port}/graphql" for s in specs if s.subgraph}
    assert list(urls) == [s.name for s in specs if s.subgraph], "in the catalog's order"


# --- checked against it ------------------------------------------------------------------------------


def _helm_define(name: str) -> str:
    text = (CHART / "templates" / "_helpers.tpl").read_text(encoding="utf-8")
    match = re.search(r'\{\{-? define "' + re.escape(name) + r'" -?\}\}(.*?)\{\{-? end -?\}\}', text, re.DOTALL)
    assert match, f"_helpers.tpl defines {name}"
    return match.group(1)


def test_the_helm_chart_runs_the_catalogs_services_with_their_ports_and_peers(specs: tuple[ServiceSpec, ...]) -> None:
    assert _helm_define("carbon.serviceNames").split() == [s.name for s in specs]
    meta = yaml.safe_load(_helm_define("carbon.serviceMeta"))
    assert list(meta) == [s.name for s in specs]
    for s in specs:
        m = meta[s.name]
        assert (m["http"], m["grpc"], m["prefix"]) == (s.http_port, s.grpc_port, s.env_prefix), s.name
        assert sorted(m["peers"]) == sorted(s.grpc_peers), f"{s.name}'s gRPC peers"


def test_the_helm_values_configure_exactly_the_catalogs_services(names: list[str]) -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    assert list(values["services"]) == names
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    services_schema = schema["properties"]["services"]
    assert list(services_schema["properties"]) == names, "values.schema.json's services"
    assert set(services_schema.get("required", names)) == set(names)
    for extra in ("values-dev.yaml", "values-prod.yaml"):
        overrides = yaml.safe_load((CHART / extra).read_text(encoding="utf-8")) or {}
        assert set(overrides.get("services") or {}) <= set(names), f"{extra} configures a service not in the catalog"


def test_the_helm_topics_are_the_catalogs(specs: tuple[ServiceSpec, ...]) -> None:
    # kafkatopics.yaml makes carbon.<svc>.events.v1 for every name of carbon.serviceNames.
    template = (CHART / "templates" / "kafkatopics.yaml").read_text(encoding="utf-8")
    assert 'include "carbon.serviceNames"' in template and "topicName: carbon.{{ $svc }}.events.v1" in template
    assert all(s.produces == f"carbon.{s.name}.events.v1" for s in specs if s.produces)


def _services_named(entries: list[str]) -> set[str]:
    return {m.group(1) for e in entries if (m := re.match(r"services\.([a-z0-9]+)(\.|$)", e))}


def test_import_linter_contracts_list_every_service(names: list[str]) -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    checked = 0
    for contract in config["contracts"]:
        for key in ("containers", "source_modules", "modules"):
            listed = _services_named(contract.get(key, []))
            if listed:
                checked += 1
                assert listed == set(names), f"{contract['name']!r}: {key} lists {sorted(listed)}"
    assert checked >= 4, "the domain, layers, service-layer and independence contracts"


def test_docs_port_table_matches_the_catalog(specs: tuple[ServiceSpec, ...]) -> None:
    text = (ROOT / "docs" / "conventions.md").read_text(encoding="utf-8")
    rows = {
        m[0]: (int(m[1]), int(m[2]), m[3])
        for m in re.findall(r"^\|\s*(\w+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\w+_)\s*\|", text, re.MULTILINE)
    }
    assert rows == {s.name: (s.http_port, s.grpc_port, s.env_prefix) for s in specs}


# --- the event envelope's producers --------------------------------------------------------------------

_ONEOF = re.compile(r"oneof payload \{(.*?)\n  \}", re.DOTALL)
_ONEOF_FIELD = re.compile(r"^\s*(carbon\.(\w+)\.v1)\.(\w+) (\w+) = (\d+);", re.MULTILINE)


def _envelope_payload() -> list[tuple[str, str, str, int]]:
    """(package, producer, message, field number) of every payload in EventEnvelope's oneof."""
    text = (ROOT / "protos" / "carbon" / "events" / "v1" / "envelope.proto").read_text(encoding="utf-8")
    block = _ONEOF.search(text)
    assert block, "envelope.proto has a oneof payload"
    return [(m[0], m[1], m[2], int(m[4])) for m in _ONEOF_FIELD.findall(block.group(1))]


def _event_messages(proto_package: str) -> set[str]:
    """Top-level messages of <package>/events.proto that no other message there uses as a field:
    the events themselves (a part like TenderAward is not one)."""
    path = ROOT / "protos" / Path(*proto_package.split(".")) / "events.proto"
    text = path.read_text(encoding="utf-8")
    messages = set(re.findall(r"^message (\w+) \{", text, re.MULTILINE))
    used = {t for t in re.findall(r"^\s+(?:repeated |optional )?(\w+) \w+ = \d+;", text, re.MULTILINE)}
    return messages - used


def test_every_producing_services_events_are_in_the_envelope(specs: tuple[ServiceSpec, ...]) -> None:
    payload = _envelope_payload()
    in_envelope = {(producer, message) for _, producer, message, _ in payload}
    for s in specs:
        if not s.produces:
            continue
        events = _event_messages(s.proto_package)
        assert events, f"{s.proto_package} has events"
        missing = sorted(e for e in events if (s.name, e) not in in_envelope)
        assert not missing, f"{s.name}'s events missing from EventEnvelope.payload: {missing}"


def test_every_envelope_payload_belongs_to_a_producer_and_its_field_range(specs: tuple[ServiceSpec, ...]) -> None:
    by_name = {s.name: s for s in specs}
    payload = _envelope_payload()
    assert payload, "parsed the oneof"
    for package, producer, message, number in payload:
        spec = by_name.get(producer)
        assert spec is not None and spec.produces, f"{package}.{message}: {producer} is not a producing service"
        assert spec.proto_package == package
        assert spec.envelope_fields is not None, f"{producer} has envelope_fields"
        first, last = spec.envelope_fields
        assert first <= number <= last, f"{package}.{message} = {number} is outside {producer}'s {first}-{last}"
        assert message in _event_messages(package), f"{package}.{message} is an event of {producer}"
