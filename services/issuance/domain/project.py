"""The Project aggregate: what a project is, and its lifecycle from draft to registration.

Lifecycle (DOMAIN.md section 1, certification steps 1-3):

    DRAFT --request_validation--> UNDER_VALIDATION --record_validation--> VALIDATED | REJECTED
    UNDER_VALIDATION --request_changes--> DRAFT
    VALIDATED --register--> REGISTERED
    DRAFT | UNDER_VALIDATION | VALIDATED | REGISTERED --withdraw--> WITHDRAWN

REJECTED and WITHDRAWN are final. Every method checks the actor's role first (FORBIDDEN), then the
state and arguments (FAILED_PRECONDITION / INVALID_ARGUMENT), and only then changes anything, so a
refused call leaves the aggregate exactly as it was.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from carbon_runtime.errors import DomainError, conflict, forbidden, invalid, not_found, precondition
from carbon_runtime.vocabulary import ProjectStatus as ProjectStatus

from .actor import Actor, Role, require_role, require_role_for
from .category import CreditCategory, derive_category, has_corresponding_adjustment
from .countries import validate_country
from .duplicates import (
    DuplicateMatch,
    OtherRegistration,
    RegistrationStatus,
    ScreenedProject,
    find_duplicates,
)
from .events import (
    ChangesRequested,
    DocumentAdded,
    DomainEvent,
    DuplicateRegistrationCleared,
    DuplicateRegistrationFlagged,
    ProjectCreated,
    ProjectRegistered,
    ProjectRejected,
    ProjectValidated,
    ProjectWithdrawn,
    ReversalAssessed,
    ReversalShortfallMadeGood,
    SiteAdded,
    ValidationRequested,
    VerifierEngaged,
)
from .periods import Period
from .reference_data import CreditBasis, CreditType, Methodology, Program
from .values import (
    Additionality,
    Article6Authorization,
    JapanTies,
    Permanence,
    ProjectDocument,
    Site,
    require_aware,
    require_text,
    require_tonnes,
)

_E = TypeVar("_E", bound=DomainEvent)


class ValidationOutcome(enum.StrEnum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


_WITHDRAWABLE = frozenset(
    {ProjectStatus.DRAFT, ProjectStatus.UNDER_VALIDATION, ProjectStatus.VALIDATED, ProjectStatus.REGISTERED}
)


@dataclass(frozen=True, slots=True)
class StatusChange:
    from_status: ProjectStatus | None
    to_status: ProjectStatus
    actor_user_id: str
    at: datetime


def _invalid_transition(action: str, status: ProjectStatus) -> DomainError:
    return precondition(
        "INVALID_TRANSITION", f"cannot {action} a project in status {status.value}", status=status.value
    )


def _validate_co_benefits(sdgs: Iterable[int]) -> tuple[int, ...]:
    values = tuple(sdgs)
    for sdg in values:
        if isinstance(sdg, bool) or not isinstance(sdg, int) or not 1 <= sdg <= 17:
            raise invalid("INVALID_SDG", f"co-benefits are UN SDG numbers 1-17, got {sdg!r}")
    return tuple(sorted(set(values)))


@dataclass(eq=True)
class Project:
    project_id: str
    name: str
    program: Program
    methodology: Methodology
    host_country: str
    region: str | None
    proponent_org_id: str
    verifier_org_id: str | None
    crediting_period: Period | None
    co_benefits: tuple[int, ...]
    additionality: Additionality | None
    permanence: Permanence | None
    japan_ties: JapanTies
    authorization: Article6Authorization | None
    program_type: bool
    sites: tuple[Site, ...]
    documents: tuple[ProjectDocument, ...]
    #: Id in the registry the project was bridged from (e.g. "VCS-1234"), screened for duplicates.
    origin_project_id: str | None
    status: ProjectStatus = ProjectStatus.DRAFT
    history: list[StatusChange] = field(default_factory=list)
    #: Open potential duplicates by registration id; issuance is refused while any is open.
    duplicate_flags: dict[str, DuplicateMatch] = field(default_factory=dict)
    #: Reversed tonnes the buffer could not cover; issuance is held while above 0.
    reversal_shortfall_t: int = 0
    #: Events raised since the aggregate was loaded, for the outbox.
    events: list[DomainEvent] = field(default_factory=list)

    # ---- creation -------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        *,
        project_id: str,
        actor: Actor,
        at: datetime,
        name: str,
        program: Program,
        methodology: Methodology,
        host_country: str,
        proponent_org_id: str,
        region: str | None = None,
        verifier_org_id: str | None = None,
        crediting_period: Period | None = None,
        co_benefits: Iterable[int] = (),
        additionality: Additionality | None = None,
        permanence: Permanence | None = None,
        japan_ties: JapanTies | None = None,
        authorization: Article6Authorization | None = None,
        program_type: bool = False,
        sites: Iterable[Site] = (),
        documents: Iterable[ProjectDocument] = (),
        origin_project_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Project:
        """`idempotency_key` is the creating request's, carried on ProjectCreated only."""
        require_role_for(actor, Role.PROPONENT, proponent_org_id, "createProject")
        require_aware(at)
        require_text(project_id, "project_id")
        require_text(name, "name")
        validate_country(host_country)
        if methodology.program_id != program.program_id:
            raise invalid(
                "METHODOLOGY_NOT_IN_PROGRAM",
                f"methodology {methodology.methodology_id} does not belong to program {program.program_id}",
            )
        if not program.accepts_host_country(host_country):
            raise invalid(
                "HOST_COUNTRY_NOT_ELIGIBLE",
                f"program {program.program_id} does not credit projects in {host_country}",
            )
        if verifier_org_id == proponent_org_id:
            raise invalid("VERIFIER_IS_PROPONENT", "the proponent cannot verify its own project")
        if methodology.credit_type is CreditType.REMOVAL and permanence is None:
            # Without a reversal-risk rating no buffer share could be set aside at issuance.
            raise invalid("PERMANENCE_REQUIRED", "a removal project must state its reversal risk")
        if (
            methodology.credit_type is CreditType.REDUCTION
            and methodology.basis is not CreditBasis.NATURE
            and permanence is not None
        ):
            # 表 1 Permanent: 「プロジェクトに可逆性リスクがある場合、…反転（漏洩）が発生した場合に備えた保証
            # メカニズムを導入する必要がある。」 Nature-based reductions (REDD+, 表 3 「排出回避・削減 自然ベース
            # REDD+」) keep carbon in forests and soils that can be released again, so they may state a
            # reversal risk and carry a buffer; a technology reduction stores nothing that could reverse.
            raise invalid(
                "PERMANENCE_NOT_APPLICABLE", "technology-based reductions store no carbon: no reversal risk or buffer"
            )
        if authorization is not None and not program.corresponding_adjustment_possible:
            raise invalid(
                "AUTHORIZATION_NOT_SUPPORTED",
                f"program {program.program_id} cannot carry an Article 6 authorization",
            )
        site_tuple = tuple(sites)
        if site_tuple and not program_type:
            raise invalid("SITES_REQUIRE_PROGRAM_TYPE", "only a program-type project has sites")
        if len({s.site_id for s in site_tuple}) != len(site_tuple):
            raise invalid("DUPLICATE_SITE", "site ids must be unique within a project")
        document_tuple = tuple(documents)
        if len({d.sha256 for d in document_tuple}) != len(document_tuple):
            raise invalid("DUPLICATE_DOCUMENT", "a document may be attached only once")
        project = cls(
            project_id=project_id,
            name=name,
            program=program,
            methodology=methodology,
            host_country=host_country,
            region=region,
            proponent_org_id=proponent_org_id,
            verifier_org_id=verifier_org_id,
            crediting_period=crediting_period,
            co_benefits=_validate_co_benefits(co_benefits),
            additionality=additionality,
            permanence=permanence,
            japan_ties=japan_ties if japan_ties is not None else JapanTies(),
            authorization=authorization,
            program_type=program_type,
            sites=site_tuple,
            documents=document_tuple,
            origin_project_id=origin_project_id,
        )
        project.history.append(StatusChange(None, ProjectStatus.DRAFT, actor.user_id, at))
        project.events.append(
            ProjectCreated(
                aggregate_id=project_id,
                actor_user_id=actor.user_id,
                actor_org_id=actor.organization_id,
                occurred_at=at,
                program_id=program.program_id,
                methodology_id=methodology.methodology_id,
                host_country=host_country,
                proponent_org_id=proponent_org_id,
                verifier_org_id=verifier_org_id,
                name=name,
                co_benefits=project.co_benefits,
                crediting_period=crediting_period,
                idempotency_key=idempotency_key,
            )
        )
        return project

    @classmethod
    def imported(
        cls,
        *,
        project_id: str,
        actor: Actor,
        at: datetime,
        name: str,
        program: Program,
        methodology: Methodology,
        host_country: str,
        proponent_org_id: str,
        origin_project_id: str,
        idempotency_key: str | None = None,
        crediting_period: Period | None = None,
    ) -> Project:
        """A project bridged in from an external registry, which already validated and registered it:
        it starts REGISTERED (PROGRAM_ADMIN only). Its reversal risk and Article 6 status are the
        origin's business, so none is recorded here and no authorization is claimed. Its crediting
        period is the origin's, when the export states it (表 9 「2016 年 1 月 1 日登録」 reads it)."""
        require_role(actor, Role.PROGRAM_ADMIN, "importProject")
        require_aware(at)
        require_text(project_id, "project_id")
        require_text(name, "name")
        require_text(origin_project_id, "origin_project_id")
        validate_country(host_country)
        if methodology.program_id != program.program_id:
            raise invalid(
                "METHODOLOGY_NOT_IN_PROGRAM",
                f"methodology {methodology.methodology_id} does not belong to program {program.program_id}",
            )
        project = cls(
            project_id=project_id,
            name=name,
            program=program,
            methodology=methodology,
            host_country=host_country,
            region=None,
            proponent_org_id=proponent_org_id,
            verifier_org_id=None,
            crediting_period=crediting_period,
            co_benefits=(),
            additionality=None,
            permanence=None,
            japan_ties=JapanTies(),
            authorization=None,
            program_type=False,
            sites=(),
            documents=(),
            origin_project_id=origin_project_id,
            status=ProjectStatus.REGISTERED,
        )
        project.history.append(StatusChange(None, ProjectStatus.REGISTERED, actor.user_id, at))
        project.events.append(
            ProjectCreated(
                aggregate_id=project_id,
                actor_user_id=actor.user_id,
                actor_org_id=actor.organization_id,
                occurred_at=at,
                program_id=program.program_id,
                methodology_id=methodology.methodology_id,
                host_country=host_country,
                proponent_org_id=proponent_org_id,
                verifier_org_id=None,
                name=name,
                crediting_period=crediting_period,
                idempotency_key=idempotency_key,
            )
        )
        project.events.append(
            ProjectRegistered(
                aggregate_id=project_id,
                actor_user_id=actor.user_id,
                actor_org_id=actor.organization_id,
                occurred_at=at,
                program_id=program.program_id,
            )
        )
        return project

    # ---- derived attributes ---------------------------------------------------------------------

    @property
    def credit_type(self) -> CreditType:
        return self.methodology.credit_type

    @property
    def basis(self) -> CreditBasis:
        return self.methodology.basis

    @property
    def corresponding_adjustment(self) -> bool:
        return has_corresponding_adjustment(self.program, self.authorization)

    @property
    def category(self) -> CreditCategory:
        return derive_category(
            program=self.program,
            host_country=self.host_country,
            credit_type=self.credit_type,
            authorization=self.authorization,
            japan_ties=self.japan_ties,
        )

    @property
    def buffer_percent(self) -> int:
        return self.permanence.buffer_percent if self.permanence is not None else 0

    # ---- editing --------------------------------------------------------------------------------

    def engage_verifier(self, actor: Actor, verifier_org_id: str, at: datetime) -> VerifierEngaged:
        require_role_for(actor, Role.PROPONENT, self.proponent_org_id, "engageVerifier")
        require_aware(at)
        if self.status is not ProjectStatus.DRAFT:
            raise _invalid_transition("engage a verifier for", self.status)
        if verifier_org_id == self.proponent_org_id:
            raise invalid("VERIFIER_IS_PROPONENT", "the proponent cannot verify its own project")
        self.verifier_org_id = verifier_org_id
        return self._record(
            VerifierEngaged(
                aggregate_id=self.project_id,
                actor_user_id=actor.user_id,
                actor_org_id=actor.organization_id,
                occurred_at=at,
                verifier_org_id=verifier_org_id,
            )
        )

    def add_document(self, actor: Actor, document: ProjectDocument, at: datetime) -> DocumentAdded:
        require_role_for(actor, Role.PROPONENT, self.proponent_org_id, "addDocument")
        require_aware(at)
        if self.status in (ProjectStatus.REJECTED, ProjectStatus.WITHDRAWN):
            raise _invalid_transition("add a document to", self.status)
        if any(d.sha256 == document.sha256 for d in self.documents):
            raise conflict("DUPLICATE_DOCUMENT", f"document {document.sha256} is already attached")
        self.documents = (*self.documents, document)
        return self._record(
            DocumentAdded(
                aggregate_id=self.project_id,
                actor_user_id=actor.user_id,
                actor_org_id=actor.organization_id,
                occurred_at=at,
                document=document,
            )
        )

    def add_site(self, actor: Actor, site: Site, at: datetime) -> SiteAdded:
        """Program-type projects add activities while drafting and, after registration, as new
        participants (e.g. SMEs) join; the program's registration covers them."""
        require_role_for(actor, Role.PROPONENT, self.proponent_org_id, "addSite")
        require_aware(at)
        if not self.program_type:
            raise precondition("NOT_PROGRAM_TYPE", "only a program-type project has sites")
        if self.status not in (ProjectStatus.DRAFT, ProjectStatus.REGISTERED):
            raise _invalid_transition("add a site to", self.status)
        if any(s.site_id == site.site_id for s in self.sites):
            raise conflict("DUPLICATE_SITE", f"site {site.site_id} is already part of the project")
        self.sites = (*self.sites, site)
        return self._record(
            SiteAdded(
                aggregate_id=self.project_id,
                actor_user_id=actor.user_id,
                actor_org_id=actor.organization_id,
                occurred_at=at,
                site=site,
            )
        )

    # ---- lifecycle ------------------------------------------------------------------------------

    def request_validation(self, actor: Actor, at: datetime) -> ValidationRequested:
        require_role_for(actor, Role.PROPONENT, self.proponent_org_id, "requestValidation")
        require_aware(at)
        if self.status is not ProjectStatus.DRAFT:
            raise _invalid_transition("request validation of", self.status)
        if self.verifier_org_id is None:
            raise precondition("VERIFIER_NOT_ENGAGED", "engage an accredited verifier before validation")
        self._transition(ProjectStatus.UNDER_VALIDATION, actor, at)
        return self._record(
            ValidationRequested(
                aggregate_id=self.project_id,
                actor_user_id=actor.user_id,
                actor_org_id=actor.organization_id,
                occurred_at=at,
                verifier_org_id=self.verifier_org_id,
            )
        )

    def record_validation(
        self,
        actor: Actor,
        outcome: ValidationOutcome,
        verifier_accredited: bool,
        at: datetime,
        comment: str | None = None,
    ) -> ProjectValidated | ProjectRejected:
        """`verifier_accredited` is whether the engaged verifier organisation is accredited now
        (Organization.accreditedVerifier); accreditation can lapse between engagement and validation."""
        verifier_org_id = self.require_engaged_verifier(actor, verifier_accredited, "recordValidation")
        require_aware(at)
        if self.status is not ProjectStatus.UNDER_VALIDATION:
            raise _invalid_transition("record validation of", self.status)
        if outcome is ValidationOutcome.APPROVED:
            self._transition(ProjectStatus.VALIDATED, actor, at)
            return self._record(
                ProjectValidated(
                    aggregate_id=self.project_id,
                    actor_user_id=actor.user_id,
                    actor_org_id=actor.organization_id,
                    occurred_at=at,
                    verifier_org_id=verifier_org_id,
                    comment=comment,
                )
            )
        self._transition(ProjectStatus.REJECTED, actor, at)
        return self._record(
            ProjectRejected(
                aggregate_id=self.project_id,
                actor_user_id=actor.user_id,
                actor_org_id=actor.organization_id,
                occurred_at=at,
                verifier_org_id=verifier_org_id,
                comment=comment,
            )
        )

    def request_changes(self, actor: Actor, comment: str, verifier_accredited: bool, at: datetime) -> ChangesRequested:
        """The validator sends the design back to the proponent instead of rejecting it."""
        verifier_org_id = self.require_engaged_verifier(actor, verifier_accredited, "requestChanges")
        require_aware(at)
        if self.status is not ProjectStatus.UNDER_VALIDATION:
            raise _invalid_transition("request changes to", self.status)
        require_text(comment, "comment")
        self._transition(ProjectStatus.DRAFT, actor, at)
        return self._record(
            ChangesRequested(
                aggregate_id=self.project_id,
                actor_user_id=actor.user_id,
                actor_org_id=actor.organization_id,
                occurred_at=at,
                verifier_org_id=verifier_org_id,
                comment=comment,
            )
        )

    def register(self, actor: Actor, at: datetime) -> ProjectRegistered:
        require_role(actor, Role.PROGRAM_ADMIN, "registerProject")
        require_aware(at)
        if self.status is not ProjectStatus.VALIDATED:
            raise _invalid_transition("register", self.status)
        self._transition(ProjectStatus.REGISTERED, actor, at)
        return self._record(
            ProjectRegistered(
                aggregate_id=self.project_id,
                actor_user_id=actor.user_id,
                actor_org_id=actor.organization_id,
                occurred_at=at,
                program_id=self.program.program_id,
            )
        )

    def withdraw(self, actor: Actor, reason: str, at: datetime) -> ProjectWithdrawn:
        """By the proponent or a program admin. Credits already issued stay valid, and a withdrawn
        removal project stays liable for reversals (report_reversal still accepts it)."""
        if not (actor.acts_for(Role.PROPONENT, self.proponent_org_id) or actor.has_role(Role.PROGRAM_ADMIN)):
            raise forbidden("ROLE_REQUIRED", "withdrawProject requires PROPONENT of the proponent or PROGRAM_ADMIN")
        require_aware(at)
        if self.status not in _WITHDRAWABLE:
            raise _invalid_transition("withdraw", self.status)
        require_text(reason, "reason")
        self._transition(ProjectStatus.WITHDRAWN, actor, at)
        return self._record(
            ProjectWithdrawn(
                aggregate_id=self.project_id,
                actor_user_id=actor.user_id,
                actor_org_id=actor.organization_id,
                occurred_at=at,
                reason=reason,
            )
        )

    # ---- verifier checks (shared with monitoring verification) ----------------------------------

    def require_engaged_verifier(self, actor: Actor, verifier_accredited: bool, action: str) -> str:
        """Return the engaged verifier's org id if `actor` may act for it (ICROA: independently
        verified, by an accredited body, never by the proponent)."""
        require_role(actor, Role.VERIFIER, action)
        if self.verifier_org_id is None or actor.organization_id != self.verifier_org_id:
            raise forbidden("NOT_ENGAGED_VERIFIER", f"{action} is reserved to the verifier engaged for the project")
        if actor.organization_id == self.proponent_org_id:
            raise forbidden("VERIFIER_IS_PROPONENT", "the proponent cannot verify its own project")
        if not verifier_accredited:
            raise forbidden("VERIFIER_NOT_ACCREDITED", "the engaged verifier is not an accredited body")
        return self.verifier_org_id

    # ---- double issuance ------------------------------------------------------------------------

    def screen_for_duplicates(
        self, others: Iterable[OtherRegistration], actor: Actor, at: datetime
    ) -> list[DomainEvent]:
        """Flag active registrations that may credit the same tonnes, and clear flags whose other
        registration is now listed as cancelled or transitioned. Run by the service whenever it learns
        of registrations (at creation, before registration, when another registry reports)."""
        require_aware(at)
        other_list = list(others)
        screened = ScreenedProject(
            project_id=self.project_id,
            program_id=self.program.program_id,
            origin_project_id=self.origin_project_id,
            host_country=self.host_country,
            methodology_family=self.methodology.family,
            crediting_period=self.crediting_period,
        )
        new_events: list[DomainEvent] = []
        for match in find_duplicates(screened, other_list):
            if match.registration_id not in self.duplicate_flags:
                self.duplicate_flags[match.registration_id] = match
                new_events.append(
                    DuplicateRegistrationFlagged(
                        aggregate_id=self.project_id,
                        actor_user_id=actor.user_id,
                        actor_org_id=actor.organization_id,
                        occurred_at=at,
                        registration_id=match.registration_id,
                        program_id=match.program_id,
                        basis=match.basis,
                    )
                )
        for other in other_list:
            if other.status is not RegistrationStatus.ACTIVE and other.registration_id in self.duplicate_flags:
                del self.duplicate_flags[other.registration_id]
                new_events.append(self._cleared(other.registration_id, other.status, actor, at))
        self.events.extend(new_events)
        return new_events

    def record_other_registration_closed(
        self, actor: Actor, registration_id: str, status: RegistrationStatus, at: datetime
    ) -> DuplicateRegistrationCleared:
        """A program admin confirms the other registration will issue nothing more for these tonnes."""
        require_role(actor, Role.PROGRAM_ADMIN, "recordRegistrationClosed")
        require_aware(at)
        if status is RegistrationStatus.ACTIVE:
            raise invalid("REGISTRATION_STILL_ACTIVE", "record the other registration as CANCELLED or TRANSITIONED")
        if registration_id not in self.duplicate_flags:
            raise not_found("DUPLICATE_FLAG_NOT_FOUND", f"no open duplicate flag for {registration_id}")
        del self.duplicate_flags[registration_id]
        return self._record(self._cleared(registration_id, status, actor, at))

    # ---- reversals ------------------------------------------------------------------------------

    def report_reversal(
        self, actor: Actor, reversal_quantity_t: int, buffer_available_t: int, at: datetime
    ) -> ReversalAssessed:
        """A removal was lost (fire, harvest, leak). The program buffer covers what it can; the rest
        is a shortfall that holds this project's issuance until made good, so the project cannot sell
        new credits while the atmosphere is owed tonnes it already sold."""
        if not (actor.acts_for(Role.PROPONENT, self.proponent_org_id) or actor.has_role(Role.PROGRAM_ADMIN)):
            raise forbidden("ROLE_REQUIRED", "reportReversal requires PROPONENT of the proponent or PROGRAM_ADMIN")
        require_aware(at)
        if self.credit_type is not CreditType.REMOVAL:
            raise precondition("NOT_A_REMOVAL_PROJECT", "only removal projects can reverse")
        if self.status not in (ProjectStatus.REGISTERED, ProjectStatus.WITHDRAWN):
            raise _invalid_transition("report a reversal on", self.status)
        require_tonnes(reversal_quantity_t, "reversal_quantity_t", positive=True)
        require_tonnes(buffer_available_t, "buffer_available_t")
        from_buffer_t = min(reversal_quantity_t, buffer_available_t)
        shortfall_t = reversal_quantity_t - from_buffer_t
        self.reversal_shortfall_t += shortfall_t
        return self._record(
            ReversalAssessed(
                aggregate_id=self.project_id,
                actor_user_id=actor.user_id,
                actor_org_id=actor.organization_id,
                occurred_at=at,
                reversal_quantity_t=reversal_quantity_t,
                buffer_cancellation_t=from_buffer_t,
                shortfall_t=shortfall_t,
                outstanding_shortfall_t=self.reversal_shortfall_t,
            )
        )

    def make_good_reversal_shortfall(self, actor: Actor, quantity_t: int, at: datetime) -> ReversalShortfallMadeGood:
        """A program admin records that `quantity_t` replacement credits were cancelled for the
        shortfall; at zero outstanding, issuance resumes."""
        require_role(actor, Role.PROGRAM_ADMIN, "makeGoodReversalShortfall")
        require_aware(at)
        require_tonnes(quantity_t, "quantity_t", positive=True)
        if quantity_t > self.reversal_shortfall_t:
            raise invalid(
                "EXCEEDS_SHORTFALL",
                f"{quantity_t} t exceeds the outstanding shortfall of {self.reversal_shortfall_t} t",
            )
        self.reversal_shortfall_t -= quantity_t
        return self._record(
            ReversalShortfallMadeGood(
                aggregate_id=self.project_id,
                actor_user_id=actor.user_id,
                actor_org_id=actor.organization_id,
                occurred_at=at,
                quantity_t=quantity_t,
                outstanding_shortfall_t=self.reversal_shortfall_t,
            )
        )

    # ---- issuance gate --------------------------------------------------------------------------

    def ensure_can_issue(self) -> None:
        if self.status is not ProjectStatus.REGISTERED:
            raise precondition("PROJECT_NOT_REGISTERED", f"project is {self.status.value}, not REGISTERED")
        if self.duplicate_flags:
            raise precondition(
                "DUPLICATE_REGISTRATION",
                "the project may duplicate another registration; issuance waits until it is cancelled or transitioned",
                registration_ids=sorted(self.duplicate_flags),
            )
        if self.reversal_shortfall_t > 0:
            raise precondition(
                "ISSUANCE_HELD_FOR_REVERSAL",
                f"{self.reversal_shortfall_t} t of reversal are not yet made good",
                outstanding_shortfall_t=self.reversal_shortfall_t,
            )

    # ---- internals ------------------------------------------------------------------------------

    def _transition(self, to_status: ProjectStatus, actor: Actor, at: datetime) -> None:
        self.history.append(StatusChange(self.status, to_status, actor.user_id, at))
        self.status = to_status

    def _record(self, event: _E) -> _E:
        self.events.append(event)
        return event

    def _cleared(
        self, registration_id: str, status: RegistrationStatus, actor: Actor, at: datetime
    ) -> DuplicateRegistrationCleared:
        return DuplicateRegistrationCleared(
            aggregate_id=self.project_id,
            actor_user_id=actor.user_id,
            actor_org_id=actor.organization_id,
            occurred_at=at,
            registration_id=registration_id,
            status=status,
        )
