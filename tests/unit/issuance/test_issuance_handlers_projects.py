"""Project handlers over the in-memory unit of work: rules, idempotency and what they publish."""

from __future__ import annotations

from carbon.issuance.v1 import events_pb2

from carbon_runtime.errors import ErrorCode
from services.issuance.domain import commands
from services.issuance.domain.actor import Actor
from services.issuance.domain.duplicates import RegistrationStatus
from services.issuance.domain.events import ChangesRequested, VerifierEngaged
from services.issuance.domain.project import ProjectStatus, ValidationOutcome
from tests.unit.issuance.support import ADMIN, PROPONENT, PROPONENT_ORG, VERIFIER, Handlers

UNACCREDITED = Actor("u-unaccredited", "org-unaccredited", frozenset({"VERIFIER"}))


def test_create_project_publishes_project_created_with_the_request_key() -> None:
    h = Handlers()
    project_id = h.create(idempotency_key="k-1")
    assert h.uow.published() == ["ProjectCreated"]
    message = h.uow.messages[0]
    assert (message.aggregate_type, message.aggregate_id) == ("project", project_id)
    payload = message.payload
    assert isinstance(payload, events_pb2.ProjectCreated)
    assert payload.idempotency_key == "k-1"
    assert payload.actor_organization_id == PROPONENT_ORG
    assert list(payload.co_benefits) == [7, 13]
    assert payload.crediting_period_start == "2024-01-01"


def test_create_project_replays_a_repeated_key_without_a_second_project() -> None:
    h = Handlers()
    first = h.create(idempotency_key="k-1")
    assert h.create(idempotency_key="k-1") == first
    assert list(h.uow.project_rows) == [first]
    assert h.uow.published() == ["ProjectCreated"]


def test_create_project_refuses_a_key_reused_for_another_project() -> None:
    h = Handlers()
    h.create(idempotency_key="k-1")
    h.refused(
        commands.CreateProject(
            actor=PROPONENT,
            name="Another project",
            program_id="JCREDIT",
            methodology_id="JCREDIT:EN-S-001",
            country="JP",
            proponent_id=PROPONENT_ORG,
            idempotency_key="k-1",
        ),
        ErrorCode.CONFLICT,
        "TRANSACTION_ID_REUSED",
    )


def test_create_project_refuses_an_unaccredited_verifier_and_writes_nothing() -> None:
    h = Handlers()
    h.refused(
        commands.CreateProject(
            actor=PROPONENT,
            name="Boiler",
            program_id="JCREDIT",
            methodology_id="JCREDIT:EN-S-001",
            country="JP",
            proponent_id=PROPONENT_ORG,
            verifier_id="org-unaccredited",
        ),
        ErrorCode.INVALID_ARGUMENT,
        "VERIFIER_NOT_ACCREDITED",
    )


def test_create_project_asks_the_registry_nothing_when_the_caller_may_not_create() -> None:
    h = Handlers()
    h.registry.down = True
    h.refused(
        commands.CreateProject(
            actor=VERIFIER,
            name="Boiler",
            program_id="JCREDIT",
            methodology_id="JCREDIT:EN-S-001",
            country="JP",
            proponent_id=PROPONENT_ORG,
            verifier_id="org-verifier",
        ),
        ErrorCode.FORBIDDEN,
        "ROLE_REQUIRED",
    )
    assert h.registry.calls == []


def test_record_validation_refuses_a_verifier_not_engaged_before_asking_the_registry() -> None:
    h = Handlers()
    project_id = h.create()
    h.handle(commands.RequestValidation(actor=PROPONENT, project_id=project_id))
    h.registry.down = True
    h.refused(
        commands.RecordValidation(actor=UNACCREDITED, project_id=project_id, outcome=ValidationOutcome.APPROVED),
        ErrorCode.FORBIDDEN,
        "NOT_ENGAGED_VERIFIER",
    )


def test_validation_and_registration_publish_one_event_each_in_order() -> None:
    h = Handlers()
    project_id = h.registered()
    assert h.uow.published() == ["ProjectCreated", "ValidationRequested", "ProjectValidated", "ProjectRegistered"]
    registered = h.uow.messages[-1].payload
    assert isinstance(registered, events_pb2.ProjectRegistered)
    assert registered.program_id == "JCREDIT"
    assert h.uow.registered[project_id].isoformat() == registered.registered_on
    assert h.uow.project_rows[project_id].status is ProjectStatus.REGISTERED


def test_a_rejected_validation_publishes_project_rejected_with_the_comment() -> None:
    h = Handlers()
    project_id = h.create()
    h.handle(commands.RequestValidation(actor=PROPONENT, project_id=project_id))
    h.handle(
        commands.RecordValidation(
            actor=VERIFIER, project_id=project_id, outcome=ValidationOutcome.REJECTED, comment="baseline unclear"
        )
    )
    rejected = h.uow.messages[-1].payload
    assert isinstance(rejected, events_pb2.ProjectRejected)
    assert rejected.comment == "baseline unclear"


def test_steps_without_a_published_event_change_state_but_publish_nothing() -> None:
    h = Handlers()
    project_id = h.create(verifier_id=None)
    h.handle(commands.EngageVerifier(actor=PROPONENT, project_id=project_id, verifier_id="org-verifier"))
    h.handle(commands.RequestValidation(actor=PROPONENT, project_id=project_id))
    h.handle(commands.RequestChanges(actor=VERIFIER, project_id=project_id, comment="add the meter plan"))
    assert h.uow.published() == ["ProjectCreated", "ValidationRequested"]
    assert len(h.uow.events_of(VerifierEngaged)) == 1
    assert len(h.uow.events_of(ChangesRequested)) == 1
    assert h.uow.project_rows[project_id].status is ProjectStatus.DRAFT


def test_withdraw_publishes_the_reason() -> None:
    h = Handlers()
    project_id = h.create()
    h.handle(commands.WithdrawProject(actor=PROPONENT, project_id=project_id, reason="site sold"))
    withdrawn = h.uow.messages[-1].payload
    assert isinstance(withdrawn, events_pb2.ProjectWithdrawn)
    assert withdrawn.reason == "site sold"


def test_clear_duplicate_flag_refuses_an_unknown_flag() -> None:
    h = Handlers()
    project_id = h.registered()
    h.refused(
        commands.ClearDuplicateFlag(
            actor=ADMIN, project_id=project_id, registration_id="VCS-1", status=RegistrationStatus.CANCELLED
        ),
        ErrorCode.NOT_FOUND,
        "DUPLICATE_FLAG_NOT_FOUND",
    )


def test_every_command_has_exactly_one_handler() -> None:
    from services.issuance.domain.commands import Command
    from services.issuance.service.handlers import HANDLERS

    concrete = {
        c
        for c in vars(commands).values()
        if isinstance(c, type) and issubclass(c, Command) and c.__subclasses__() == []
    }
    assert set(HANDLERS) == concrete


def test_record_validation_ends_its_read_before_asking_the_registry() -> None:
    h = Handlers()
    project_id = h.create()
    h.handle(commands.RequestValidation(actor=PROPONENT, project_id=project_id))
    commits_when_asked: list[int] = []
    ask = h.registry.get_organization

    def get_organization(organization_id: str, token: str | None) -> object:
        commits_when_asked.append(h.uow.commits)
        return ask(organization_id, token)

    h.registry.get_organization = get_organization  # type: ignore[method-assign,assignment]
    before = h.uow.commits
    h.handle(commands.RecordValidation(actor=VERIFIER, project_id=project_id, outcome=ValidationOutcome.APPROVED))
    # The read committed (released its locks) before the call; the step committed once more after it.
    assert commits_when_asked == [before + 1]
    assert h.uow.commits == before + 2
