"""The internal protobuf contract (protos/) and its generator (scripts/gen_protos.py).

The generator runs once per module into a temporary folder; the checks read the FileDescriptorSet it
writes (with source info, so comments are visible) rather than the repository's gen/ folder, which
may be stale or absent. Generated modules are imported in a subprocess so that they never clash with
a copy of the same .proto files already registered in this process's descriptor pool.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

REPO_ROOT = Path(__file__).resolve().parents[3]
PROTO_ROOT = REPO_ROOT / "protos"
GENERATOR = REPO_ROOT / "scripts" / "gen_protos.py"
BUF = PROTO_ROOT / "node_modules" / ".bin" / "buf"

FieldProto = descriptor_pb2.FieldDescriptorProto

# Field numbers of the descriptor.proto elements, as they appear in SourceCodeInfo.Location.path.
FILE_MESSAGE, FILE_ENUM, FILE_SERVICE = 4, 5, 6
MESSAGE_FIELD, MESSAGE_NESTED, MESSAGE_ENUM, MESSAGE_ONEOF = 2, 3, 4, 8
ENUM_VALUE = 2
SERVICE_METHOD = 2

PACKAGES = (
    "carbon.events.v1",
    "carbon.registry.v1",
    "carbon.issuance.v1",
    "carbon.trading.v1",
    "carbon.reporting.v1",
)


@dataclass(frozen=True)
class Generated:
    out: Path
    descriptor_set: descriptor_pb2.FileDescriptorSet

    @property
    def contract_files(self) -> list[descriptor_pb2.FileDescriptorProto]:
        return [f for f in self.descriptor_set.file if f.name.startswith("carbon/")]

    def message(self, full_name: str) -> descriptor_pb2.DescriptorProto:
        package, _, name = full_name.rpartition(".")
        for file in self.contract_files:
            if file.package == package:
                for message in file.message_type:
                    if message.name == name:
                        return message
        raise KeyError(full_name)

    def service(self, full_name: str) -> descriptor_pb2.ServiceDescriptorProto:
        package, _, name = full_name.rpartition(".")
        for file in self.contract_files:
            if file.package == package:
                for service in file.service:
                    if service.name == name:
                        return service
        raise KeyError(full_name)

    def top_level_messages(self, file_name: str) -> list[str]:
        (file,) = [f for f in self.contract_files if f.name == file_name]
        return [f"{file.package}.{m.name}" for m in file.message_type]


def run_generator(out: Path, *extra: str, proto_root: Path = PROTO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), "--proto-root", str(proto_root), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def tree_snapshot(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    base = tmp_path_factory.mktemp("protos")
    out = base / "gen"
    descriptor_path = base / "contract.binpb"
    result = run_generator(out, "--descriptor-set", str(descriptor_path))
    assert result.returncode == 0, result.stderr
    descriptor_set = descriptor_pb2.FileDescriptorSet.FromString(descriptor_path.read_bytes())
    return Generated(out=out, descriptor_set=descriptor_set)


def documented_elements(file: descriptor_pb2.FileDescriptorProto) -> Iterator[tuple[str, tuple[int, ...]]]:
    """Every element that must carry a leading comment, with its SourceCodeInfo path."""

    def message_elements(
        message: descriptor_pb2.DescriptorProto, prefix: str, path: tuple[int, ...]
    ) -> Iterator[tuple[str, tuple[int, ...]]]:
        name = f"{prefix}.{message.name}"
        yield f"message {name}", path
        for i, field in enumerate(message.field):
            yield f"field {name}.{field.name}", (*path, MESSAGE_FIELD, i)
        for i, oneof in enumerate(message.oneof_decl):
            members = [f for f in message.field if f.HasField("oneof_index") and f.oneof_index == i]
            if all(f.proto3_optional for f in members):
                continue  # synthesized by protoc for a proto3 `optional` field, not written by anyone
            yield f"oneof {name}.{oneof.name}", (*path, MESSAGE_ONEOF, i)
        for i, nested in enumerate(message.nested_type):
            if nested.options.map_entry:
                continue  # synthesized by protoc for a map<,> field, documented on the field
            yield from message_elements(nested, name, (*path, MESSAGE_NESTED, i))
        for i, enum in enumerate(message.enum_type):
            yield from enum_elements(enum, name, (*path, MESSAGE_ENUM, i))

    def enum_elements(
        enum: descriptor_pb2.EnumDescriptorProto, prefix: str, path: tuple[int, ...]
    ) -> Iterator[tuple[str, tuple[int, ...]]]:
        yield f"enum {prefix}.{enum.name}", path
        for i, value in enumerate(enum.value):
            yield f"enum value {prefix}.{enum.name}.{value.name}", (*path, ENUM_VALUE, i)

    for i, message in enumerate(file.message_type):
        yield from message_elements(message, file.package, (FILE_MESSAGE, i))
    for i, enum in enumerate(file.enum_type):
        yield from enum_elements(enum, file.package, (FILE_ENUM, i))
    for i, service in enumerate(file.service):
        yield f"service {file.package}.{service.name}", (FILE_SERVICE, i)
        for j, method in enumerate(service.method):
            yield f"rpc {file.package}.{service.name}.{method.name}", (FILE_SERVICE, i, SERVICE_METHOD, j)


def all_fields(generated: Generated) -> Iterator[tuple[str, descriptor_pb2.FieldDescriptorProto]]:
    def walk(
        message: descriptor_pb2.DescriptorProto, prefix: str
    ) -> Iterator[tuple[str, descriptor_pb2.FieldDescriptorProto]]:
        for field in message.field:
            yield f"{prefix}.{message.name}.{field.name}", field
        for nested in message.nested_type:
            yield from walk(nested, f"{prefix}.{message.name}")

    for file in generated.contract_files:
        for message in file.message_type:
            yield from walk(message, file.package)


def test_generator_covers_the_five_packages(generated: Generated) -> None:
    assert {f.package for f in generated.contract_files} == set(PACKAGES)
    for package in PACKAGES:
        assert (generated.out / Path(*package.split(".")) / "__init__.py").is_file()


def test_every_message_field_enum_value_service_and_rpc_has_a_leading_comment(
    generated: Generated,
) -> None:
    missing: list[str] = []
    checked = 0
    for file in generated.contract_files:
        comments = {
            tuple(location.path): location.leading_comments.strip() for location in file.source_code_info.location
        }
        for element, path in documented_elements(file):
            checked += 1
            if not comments.get(path):
                missing.append(f"{file.name}: {element}")
    assert checked > 500  # guards the walk itself: the contract has hundreds of elements
    assert missing == []


def test_no_field_is_a_binary_float(generated: Generated) -> None:
    floats = [
        name for name, field in all_fields(generated) if field.type in (FieldProto.TYPE_FLOAT, FieldProto.TYPE_DOUBLE)
    ]
    assert floats == []


def test_tonne_fields_are_int64_and_decimal_fields_are_strings(generated: Generated) -> None:
    wrong: list[str] = []
    tonne_fields = 0
    for name, field in all_fields(generated):
        if field.name.endswith("_t"):
            tonne_fields += 1
            if field.type != FieldProto.TYPE_INT64:
                wrong.append(f"{name} holds tonnes but is not int64")
        if field.name.endswith("_decimal") and field.type != FieldProto.TYPE_STRING:
            wrong.append(f"{name} holds a decimal but is not a string")
    assert tonne_fields > 50
    assert wrong == []


def test_every_enum_starts_with_an_unspecified_zero_value(generated: Generated) -> None:
    enums = [(f.package, e) for f in generated.contract_files for e in f.enum_type]
    assert enums
    for _package, enum in enums:
        first = enum.value[0]
        assert first.number == 0
        assert first.name.endswith("_UNSPECIFIED"), enum.name


def test_envelope_payload_is_exactly_the_events_of_every_service(generated: Generated) -> None:
    envelope = generated.message("carbon.events.v1.EventEnvelope")
    (payload_index,) = [i for i, oneof in enumerate(envelope.oneof_decl) if oneof.name == "payload"]
    payload_types = [
        field.type_name.lstrip(".")
        for field in envelope.field
        if field.HasField("oneof_index") and field.oneof_index == payload_index
    ]
    event_files = [file for file in generated.contract_files if file.name.endswith("/events.proto")]
    # Parts of events (a tender award, a forward's terms) are not events: a message that another
    # message of the events file holds as a field is a part.
    parts = {
        field.type_name.lstrip(".")
        for file in event_files
        for message in file.message_type
        for field in message.field
        if field.type_name
    }
    event_messages = [
        name for file in event_files for name in generated.top_level_messages(file.name) if name not in parts
    ]
    assert "carbon.trading.v1.TenderAward" in parts and "carbon.trading.v1.ForwardTerms" in parts
    assert sorted(payload_types) == sorted(event_messages)
    assert len(set(payload_types)) == len(payload_types)


def test_envelope_carries_routing_and_trace_metadata(generated: Generated) -> None:
    fields = {f.name: f for f in generated.message("carbon.events.v1.EventEnvelope").field}
    assert fields["event_id"].type == FieldProto.TYPE_STRING
    assert fields["event_type"].type == FieldProto.TYPE_STRING
    assert fields["aggregate_type"].type == FieldProto.TYPE_STRING
    assert fields["aggregate_id"].type == FieldProto.TYPE_STRING
    assert fields["sequence"].type == FieldProto.TYPE_UINT64
    assert fields["occurred_at"].type_name == ".google.protobuf.Timestamp"
    assert fields["producer"].type == FieldProto.TYPE_STRING
    assert fields["trace_context"].label == FieldProto.LABEL_REPEATED  # map<string, string>


def test_required_events_are_defined(generated: Generated) -> None:
    required = {
        "carbon/registry/v1/events.proto": {
            "AccountOpened",
            "OrganizationCreated",
            "BatchMinted",
            "CreditsTransferred",
            "CreditsRetired",
            "CreditsCancelled",
            "CreditsUsedForNdc",
            "CreditsLocked",
            "CreditsUnlocked",
            "CreditsSettled",
            "BufferCancelled",
        },
        "carbon/issuance/v1/events.proto": {
            "ProjectCreated",
            "ValidationRequested",
            "ProjectValidated",
            "ProjectRejected",
            "ProjectRegistered",
            "ProjectWithdrawn",
            "MonitoringReportSubmitted",
            "VerificationRecorded",
            "CreditsIssued",
            "ReversalReported",
        },
        "carbon/trading/v1/events.proto": {
            "OrderAccepted",
            "OrderRejected",
            "OrderCancelled",
            "TradeExecuted",
            "TradeSettled",
            "AuctionCleared",
            "TenderClosed",
        },
    }
    for file_name, names in required.items():
        defined = {name.rsplit(".", 1)[1] for name in generated.top_level_messages(file_name)}
        assert names <= defined, f"{file_name} lacks {sorted(names - defined)}"


def test_services_define_the_agreed_rpcs(generated: Generated) -> None:
    required = {
        "carbon.events.v1.EventLog": {"Replay", "Head"},
        "carbon.registry.v1.RegistryService": {
            "CreateOrganization",
            "GetOrganization",
            "OpenAccount",
            "GetAccount",
            "ListHoldings",
            "MintBatch",
            "Transfer",
            "Retire",
            "Cancel",
            "UseForNdc",
            "Lock",
            "Unlock",
            "Settle",
            "CancelFromBuffer",
            "GetBatchTotals",
        },
        "carbon.issuance.v1.IssuanceService": {
            "GetProject",
            "GetCreditBatch",
            "ListCreditBatches",
            "GetIssuedTotals",
            "GetProgram",
            "ListPrograms",
        },
        "carbon.trading.v1.TradingService": {
            "CreateInstrument",
            "PlaceOrder",
            "CancelOrder",
            "GetOrder",
            "ListTrades",
            "GetMarketData",
        },
        "carbon.reporting.v1.ReportingService": {
            "GetEligibility",
            "GetDisclosureReport",
            "GetReadModelLag",
            "Reconcile",
        },
    }
    for service_name, methods in required.items():
        defined = {m.name for m in generated.service(service_name).method}
        assert methods <= defined, f"{service_name} lacks {sorted(methods - defined)}"
    replay = {m.name: m for m in generated.service("carbon.events.v1.EventLog").method}["Replay"]
    assert replay.server_streaming


def test_every_registry_mutation_takes_an_idempotency_key_and_returns_blocks(generated: Generated) -> None:
    service = generated.service("carbon.registry.v1.RegistryService")
    unit_mutations = {"MintBatch", "Transfer", "Retire", "Cancel", "UseForNdc", "Lock", "Unlock", "Settle"}
    unit_mutations.add("CancelFromBuffer")
    for method in service.method:
        if method.name.startswith(("Get", "List")):
            continue
        request = generated.message(method.input_type.lstrip("."))
        assert "idempotency_key" in {f.name for f in request.field}, method.name
        if method.name in unit_mutations:
            response = generated.message(method.output_type.lstrip("."))
            block_fields = [f for f in response.field if f.type_name == ".carbon.registry.v1.UnitBlock"]
            assert block_fields, f"{method.name} does not return the blocks it touched"


def test_lock_criteria_can_span_batches_and_restrict_attributes(generated: Generated) -> None:
    criteria = {f.name: f for f in generated.message("carbon.registry.v1.DeliveryCriteria").field}
    assert set(criteria) >= {
        "program_ids",
        "credit_types",
        "categories",
        "vintage_from",
        "vintage_to",
        "corresponding_adjustment_required",
        "batch_id",
    }
    assert criteria["credit_types"].type_name == ".carbon.issuance.v1.CreditType"


ROUND_TRIP = textwrap.dedent(
    """
    import importlib, json, pathlib, sys
    from google.protobuf.timestamp_pb2 import Timestamp

    root = pathlib.Path(sys.argv[1])
    imported = []
    for path in sorted(root.joinpath("carbon").rglob("*.py")):
        if path.name == "__init__.py":
            continue
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        importlib.import_module(module)
        imported.append(module)

    from carbon.events.v1 import envelope_pb2, event_log_pb2, event_log_pb2_grpc
    from carbon.registry.v1 import events_pb2, registry_pb2, registry_pb2_grpc, types_pb2

    retired = events_pb2.CreditsRetired(
        retirement_id="ret-1",
        batch_id="batch-1",
        account_id="acc-1",
        quantity_t=250,
        blocks=[types_pb2.UnitBlock(
            batch_id="batch-1", account_id="acc-ret", start_unit=1, end_unit=250,
            serial_start="JCR-0001", serial_end="JCR-0250", quantity_t=250,
            status=types_pb2.UNIT_STATUS_RETIRED,
        )],
        serial_ranges=["JCR-0001-JCR-0250"],
        purpose=types_pb2.RETIREMENT_PURPOSE_SHK_ADJUSTMENT,
        beneficiary="Example KK",
        retirement_year=2024,
        offset_emissions_decimal="1234.50",
        retired_at=Timestamp(seconds=1_711_843_200),
    )
    envelope = envelope_pb2.EventEnvelope(
        event_id="0b6f2d4e-1a2b-4c3d-8e9f-0123456789ab",
        event_type=events_pb2.CreditsRetired.DESCRIPTOR.full_name,
        aggregate_type="batch",
        aggregate_id="batch-1",
        sequence=7,
        occurred_at=Timestamp(seconds=1_711_843_200),
        producer="registry",
        trace_context={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
        credits_retired=retired,
    )
    decoded = envelope_pb2.EventEnvelope.FromString(envelope.SerializeToString())
    replayed = event_log_pb2.ReplayedEvent(position=42, envelope=decoded)
    print(json.dumps({
        "imported": imported,
        "equal": decoded == envelope,
        "payload": decoded.WhichOneof("payload"),
        "event_type": decoded.event_type,
        "payload_full_name": decoded.credits_retired.DESCRIPTOR.full_name,
        "quantity_t": decoded.credits_retired.quantity_t,
        "block_end_unit": decoded.credits_retired.blocks[0].end_unit,
        "offset": decoded.credits_retired.offset_emissions_decimal,
        "traceparent": decoded.trace_context["traceparent"],
        "replayed_position": event_log_pb2.ReplayedEvent.FromString(replayed.SerializeToString()).position,
        "stubs": [
            hasattr(registry_pb2_grpc, "RegistryServiceStub"),
            hasattr(registry_pb2_grpc, "add_RegistryServiceServicer_to_server"),
            hasattr(event_log_pb2_grpc, "EventLogServicer"),
        ],
        "request": registry_pb2.RetireRequest(quantity_t=3).quantity_t,
    }))
    """
)


def test_generated_modules_import_and_an_envelope_round_trips_with_a_typed_payload(
    generated: Generated,
) -> None:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYTHONPATH"] = str(generated.out)
    result = subprocess.run(
        [sys.executable, "-c", ROUND_TRIP, str(generated.out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=generated.out,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert "carbon.registry.v1.registry_pb2_grpc" in report["imported"]
    assert "carbon.events.v1.envelope_pb2" in report["imported"]
    assert report["equal"] is True
    assert report["payload"] == "credits_retired"
    assert report["event_type"] == report["payload_full_name"] == "carbon.registry.v1.CreditsRetired"
    assert report["quantity_t"] == 250
    assert report["block_end_unit"] == 250
    assert report["offset"] == "1234.50"
    assert report["traceparent"].startswith("00-0af7651916cd43dd")
    assert report["replayed_position"] == 42
    assert report["stubs"] == [True, True, True]
    assert report["request"] == 3


def test_generation_is_idempotent(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    (out).mkdir()
    (out / "unrelated.txt").write_text("not ours", encoding="utf-8")
    assert run_generator(out).returncode == 0
    first = tree_snapshot(out)
    assert run_generator(out).returncode == 0
    assert tree_snapshot(out) == first
    assert (out / "unrelated.txt").read_text(encoding="utf-8") == "not ours"
    assert not [p for p in out.iterdir() if p.name.startswith(".gen_protos-")]  # staging cleaned up


def test_generation_fails_on_a_broken_proto_and_keeps_the_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    assert run_generator(out).returncode == 0
    before = tree_snapshot(out)
    broken_root = tmp_path / "protos"
    shutil.copytree(PROTO_ROOT / "carbon", broken_root / "carbon")
    registry = broken_root / "carbon" / "registry" / "v1" / "registry.proto"
    registry.write_text(registry.read_text(encoding="utf-8") + "\nmessage Broken { NoSuchType x = 1; }\n")

    result = run_generator(out, proto_root=broken_root)

    assert result.returncode != 0
    assert "NoSuchType" in result.stderr
    assert tree_snapshot(out) == before


MYPY_SNIPPET = textwrap.dedent(
    """
    from carbon.events.v1 import envelope_pb2, event_log_pb2, event_log_pb2_grpc
    from carbon.registry.v1 import events_pb2, registry_pb2, registry_pb2_grpc, types_pb2


    def retired_quantity_t(envelope: envelope_pb2.EventEnvelope) -> int:
        if envelope.WhichOneof("payload") == "credits_retired":
            return envelope.credits_retired.quantity_t
        return 0


    block = types_pb2.UnitBlock(batch_id="b", quantity_t=3, status=types_pb2.UNIT_STATUS_HELD)
    request: registry_pb2.RetireRequest = registry_pb2.RetireRequest(quantity_t=block.quantity_t)
    head: event_log_pb2.HeadResponse = event_log_pb2.HeadResponse(position=1)
    stub = registry_pb2_grpc.RegistryServiceStub
    servicer = event_log_pb2_grpc.EventLogServicer
    total: int = retired_quantity_t(envelope_pb2.EventEnvelope(credits_retired=events_pb2.CreditsRetired()))
    wrong = registry_pb2.RetireRequest(quantity_t="7")  # the one expected error
    """
)


@pytest.mark.slow
def test_mypy_strict_type_checks_code_using_the_generated_stubs(generated: Generated, tmp_path: Path) -> None:
    snippet = tmp_path / "uses_stubs.py"
    snippet.write_text(MYPY_SNIPPET, encoding="utf-8")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\n", encoding="utf-8")
    env = dict(os.environ, MYPYPATH=str(generated.out))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            str(snippet),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
        timeout=240,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    # Exactly the deliberate error: the stubs are precise (a str is not int64) and nothing else fails.
    assert len(errors) == 1, result.stdout + result.stderr
    assert 'Argument "quantity_t" to "RetireRequest" has incompatible type "str"' in errors[0]


def test_buf_is_pinned_exactly_and_the_lock_names_no_registry_host() -> None:
    package = json.loads((PROTO_ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((PROTO_ROOT / "package-lock.json").read_text(encoding="utf-8"))
    pinned = package["devDependencies"]["@bufbuild/buf"]
    assert pinned[0].isdigit(), "buf must be pinned to an exact version, not a range"
    assert lock["packages"]["node_modules/@bufbuild/buf"]["version"] == pinned
    assert not [name for name, entry in lock["packages"].items() if "resolved" in entry]
    assert "://" not in (PROTO_ROOT / "package-lock.json").read_text(encoding="utf-8")


@pytest.mark.skipif(not BUF.exists(), reason="buf not installed: run `npm ci` in protos/")
def test_buf_lint_passes() -> None:
    result = subprocess.run(
        [str(BUF), "lint"], capture_output=True, text=True, check=False, cwd=PROTO_ROOT, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
