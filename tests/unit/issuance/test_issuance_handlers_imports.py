"""Import and reference-data handlers over the in-memory unit of work."""

from __future__ import annotations

from carbon.issuance.v1 import events_pb2, issuance_pb2
from google.protobuf import json_format

from carbon_runtime.errors import ErrorCode
from carbon_runtime.persistence import idempotency
from carbon_runtime.vocabulary import CreditBasis, CreditType
from services.issuance.domain import commands
from services.issuance.domain.reference_data import MethodologyFamily, ProgramScope, Sector
from services.issuance.service.import_batch import request_hash
from services.issuance.service.results import ImportedBatch, ImportedProject, MethodologyRef
from tests.support.fake_registry import IMPORT_HOLDING_ACCOUNT
from tests.unit.issuance.support import ADMIN, PROPONENT, Handlers


def import_project(**overrides: object) -> commands.ImportProject:
    values: dict[str, object] = {
        "actor": ADMIN,
        "origin_registry": "VERRA",
        "program_id": "VCS",
        "origin_project_id": "VCS-1234",
        "name": "Rimba Raya",
        "country": "ID",
        "methodology_code": "VM0007",
        "credit_type": CreditType.REMOVAL,
        "basis": CreditBasis.NATURE,
        "sector": Sector.FORESTRY_AND_LAND_USE.value,
        "family": MethodologyFamily.REDD.value,
        "record_key": "verra:project:VCS-1234",
    }
    values.update(overrides)
    return commands.ImportProject(**values)  # type: ignore[arg-type]


def import_batch(project_id: str, **overrides: object) -> commands.ImportBatch:
    values: dict[str, object] = {
        "actor": ADMIN,
        "import_key": "verra:batch:1",
        "project_id": project_id,
        "origin_registry": "VERRA",
        "origin_batch_id": "B-1",
        "vintage_start": "2020-01-01",
        "vintage_end": "2020-12-31",
        "issued_quantity_t": 100,
        "numbering_scope": "VCS",
        "origin_unit_start": 1001,
        "origin_unit_end": 1100,
    }
    values.update(overrides)
    return commands.ImportBatch(**values)  # type: ignore[arg-type]


def test_import_project_starts_registered_and_a_repeat_answers_created_false() -> None:
    h = Handlers()
    first: ImportedProject = h.handle(import_project())
    assert first.created
    assert h.uow.published() == ["ProjectCreated", "ProjectRegistered"]
    created = h.uow.messages[0].payload
    assert isinstance(created, events_pb2.ProjectCreated)
    assert created.idempotency_key == "verra:project:VCS-1234"
    again: ImportedProject = h.handle(import_project())
    assert (again.project_id, again.created) == (first.project_id, False)
    assert len(h.uow.messages) == 2


def test_import_project_needs_the_methodology_attributes_when_it_must_create_one() -> None:
    h = Handlers()
    h.refused(
        import_project(methodology_code="VM9999", credit_type=None),
        ErrorCode.INVALID_ARGUMENT,
        "METHODOLOGY_ATTRIBUTES_REQUIRED",
    )


def test_import_batch_records_an_issued_batch_and_a_repeat_changes_nothing() -> None:
    h = Handlers()
    project: ImportedProject = h.handle(import_project())
    batch: ImportedBatch = h.handle(import_batch(project.project_id))
    assert h.uow.batch_rows[batch.batch_id].holder_account_id == IMPORT_HOLDING_ACCOUNT
    assert h.uow.published()[-1] == "CreditsIssued"
    assert h.handle(import_batch(project.project_id)) == batch
    assert h.uow.published().count("CreditsIssued") == 1


def test_import_batch_refuses_its_key_reused_with_other_arguments() -> None:
    h = Handlers()
    project: ImportedProject = h.handle(import_project())
    h.handle(import_batch(project.project_id))
    h.refused(
        import_batch(project.project_id, issued_quantity_t=99, origin_unit_end=1099),
        ErrorCode.CONFLICT,
        "IMPORT_KEY_REUSED",
    )


def test_import_batch_fingerprint_is_the_one_stored_for_grpc_requests_before_commands() -> None:
    request = issuance_pb2.ImportBatchRequest(
        idempotency_key="verra:batch:1",
        project_id="IMP1",
        origin_registry="VERRA",
        vintage_start="2020-01-01",
        vintage_end="2020-12-31",
        issued_quantity_t=100,
        numbering_scope="VCS",
        origin_unit_start=1001,
        origin_unit_end=1100,
        origin_serial="VCS-1001-1100",
    )
    arguments = json_format.MessageToDict(request, preserving_proto_field_name=True)
    arguments.pop("idempotency_key")
    expected = idempotency.request_hash("ImportBatch", arguments)
    cmd = import_batch("IMP1", origin_batch_id="", origin_serial="VCS-1001-1100")
    assert request_hash(cmd) == expected


def test_create_methodology_refuses_a_proponent_and_an_existing_code() -> None:
    h = Handlers()
    new = commands.CreateMethodology(
        actor=ADMIN,
        methodology_id="",
        program_id="JCREDIT",
        code="XX-001",
        title="Test methodology",
        credit_type=CreditType.REDUCTION,
        basis=CreditBasis.TECHNOLOGY,
        sector=Sector.ENERGY_DEMAND,
        family=MethodologyFamily.BOILER_EFFICIENCY,
    )
    h.refused(commands.CreateMethodology(**{**new.__dict__, "actor": PROPONENT}), ErrorCode.FORBIDDEN, "ROLE_REQUIRED")
    created: MethodologyRef = h.handle(new)
    assert created.methodology_id == "JCREDIT:XX-001"
    h.refused(new, ErrorCode.CONFLICT, "METHODOLOGY_EXISTS")


def test_update_program_sets_and_clears_the_buffer_account() -> None:
    h = Handlers()
    h.handle(commands.UpdateProgram(actor=ADMIN, program_id="JCREDIT", buffer_account_id="acct-buffer"))
    assert h.uow.program_rows["JCREDIT"].buffer_account_id == "acct-buffer"
    h.handle(commands.UpdateProgram(actor=ADMIN, program_id="JCREDIT", buffer_account_id=""))
    assert h.uow.program_rows["JCREDIT"].buffer_account_id is None
    h.refused(
        commands.CreateProgram(
            actor=ADMIN, program_id="VCS", name="Verra", operator="Verra", scope=ProgramScope.INTERNATIONAL
        ),
        ErrorCode.CONFLICT,
        "PROGRAM_EXISTS",
    )
