"""A realistic sequence of issuance, registry and trading events for the reporting read-model tests,
built with the generated proto messages and packed exactly as the producers pack them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from carbon.issuance.v1 import events_pb2 as iss
from carbon.issuance.v1 import types_pb2 as itypes
from carbon.registry.v1 import events_pb2 as reg
from carbon.registry.v1 import types_pb2 as rtypes
from carbon.trading.v1 import events_pb2 as trd
from carbon.trading.v1 import types_pb2 as ttypes
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import Engine, MetaData, insert

from carbon_runtime.messaging.envelope import pack_envelope
from carbon_runtime.messaging.outbox import add_outbox_tables

PROPONENT = "org-proponent"
BUYER = "org-buyer"
OTHER = "org-other"
BATCH_JCREDIT = "batch-jcredit-1"
BATCH_VCS = "batch-vcs-1"
UNKNOWN_BATCH = "batch-unknown"
VCS_BUFFER_T = 50


@dataclass(frozen=True)
class Logged:
    producer: str
    envelope: Any


def _ts(moment: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(moment)
    return ts


class ScenarioBuilder:
    def __init__(self) -> None:
        self.events: list[Logged] = []
        self._sequence: dict[str, int] = defaultdict(int)
        self.clock = datetime(2024, 6, 1, 0, 0, tzinfo=UTC)

    def add(self, producer: str, aggregate_type: str, aggregate_id: str, payload: Message) -> Any:
        self._sequence[aggregate_id] += 1
        self.clock += timedelta(minutes=7)
        env = pack_envelope(
            event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{producer}/{aggregate_id}/{self._sequence[aggregate_id]}")),
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            sequence=self._sequence[aggregate_id],
            occurred_at=self.clock,
            producer=producer,
            trace_context={},
            payload=payload,
        )
        self.events.append(Logged(producer, env))
        return env


def _attributes(
    project_id: str,
    program_id: str,
    country: str,
    vintage: tuple[str, str],
    credit_type: itypes.CreditType.ValueType,
    basis: itypes.CreditBasis.ValueType,
    category: itypes.CreditCategory.ValueType,
    ca: bool,
    authorization: itypes.Authorization.ValueType,
) -> itypes.CreditAttributes:
    return itypes.CreditAttributes(
        project_id=project_id,
        program_id=program_id,
        methodology_id=f"{program_id}-M1",
        country=country,
        vintage_start=vintage[0],
        vintage_end=vintage[1],
        credit_type=credit_type,
        basis=basis,
        category=category,
        corresponding_adjustment=ca,
        authorization=authorization,
        co_benefits=[13, 7],
        issuer_organization_id=PROPONENT,
    )


JCREDIT_ATTRS = _attributes(
    "proj-solar",
    "JCREDIT",
    "JP",
    ("2022-04-01", "2023-03-31"),
    itypes.CREDIT_TYPE_REDUCTION,
    itypes.CREDIT_BASIS_TECHNOLOGY,
    itypes.CREDIT_CATEGORY_NDC_CONTRIBUTING,
    False,
    itypes.AUTHORIZATION_NONE,
)
VCS_ATTRS = _attributes(
    "proj-forest",
    "VCS",
    "KE",
    ("2019-01-01", "2019-12-31"),
    itypes.CREDIT_TYPE_REMOVAL,
    itypes.CREDIT_BASIS_NATURE,
    itypes.CREDIT_CATEGORY_GLOBAL,
    False,
    itypes.AUTHORIZATION_NONE,
)


def _block(
    batch_id: str, account_id: str, start: int, end: int, status: rtypes.UnitStatus.ValueType
) -> rtypes.UnitBlock:
    return rtypes.UnitBlock(
        batch_id=batch_id,
        account_id=account_id,
        start_unit=start,
        end_unit=end,
        serial_start=f"{batch_id.upper()}-{start:06d}",
        serial_end=f"{batch_id.upper()}-{end:06d}",
        quantity_t=end - start + 1,
        status=status,
    )


def build_scenario() -> list[Logged]:
    """Two organizations trade and use two batches; every event type reporting projects appears."""
    b = ScenarioBuilder()
    for org, name, country in (
        (PROPONENT, "Solar Proponent KK", "JP"),
        (BUYER, "Buyer KK", "JP"),
        (OTHER, "Other", "TH"),
    ):
        b.add("registry", "organization", org, reg.OrganizationCreated(organization_id=org, name=name, country=country))
    for account, org, kind in (
        ("acc-prop", PROPONENT, rtypes.ACCOUNT_KIND_HOLDING),
        ("acc-buyer", BUYER, rtypes.ACCOUNT_KIND_HOLDING),
        ("acc-buyer-ret", BUYER, rtypes.ACCOUNT_KIND_RETIREMENT),
    ):
        b.add("registry", "account", account, reg.AccountOpened(account_id=account, organization_id=org, kind=kind))
    b.add(
        "issuance",
        "project",
        "proj-solar",
        iss.ProjectCreated(
            project_id="proj-solar",
            name="Rooftop Solar Osaka",
            program_id="JCREDIT",
            country="JP",
            proponent_organization_id=PROPONENT,
            co_benefits=[7, 13],
            crediting_period_start="2022-04-01",
        ),
    )
    b.add(
        "issuance",
        "project",
        "proj-forest",
        iss.ProjectCreated(
            project_id="proj-forest",
            name="Kenya Forest Restoration",
            program_id="VCS",
            country="KE",
            proponent_organization_id=PROPONENT,
            crediting_period_start="2017-01-01",
        ),
    )
    b.add(
        "issuance", "project", "proj-solar", iss.ProjectRegistered(project_id="proj-solar", registered_on="2022-03-01")
    )
    b.add(
        "issuance",
        "project",
        "proj-forest",
        iss.ProjectRegistered(project_id="proj-forest", registered_on="2016-06-01"),
    )
    for batch_id, attrs, project_name, program_name, quantity, buffer in (
        (BATCH_JCREDIT, JCREDIT_ATTRS, "Rooftop Solar Osaka", "J-Credit", 1000, 0),
        (BATCH_VCS, VCS_ATTRS, "Kenya Forest Restoration", "Verified Carbon Standard", 500, VCS_BUFFER_T),
    ):
        b.add(
            "issuance",
            "project",
            attrs.project_id,
            iss.CreditsIssued(
                batch_id=batch_id,
                issuance_id=f"iss-{batch_id}",
                attributes=attrs,
                project_name=project_name,
                program_name=program_name,
                methodology_title=f"{program_name} methodology 1",
                issued_quantity_t=quantity,
                buffer_quantity_t=buffer,
                serial_start=f"{batch_id.upper()}-000001",
                serial_end=f"{batch_id.upper()}-{quantity:06d}",
                holder_account_id="acc-prop",
            ),
        )
        b.add(
            "registry",
            "batch",
            batch_id,
            reg.BatchMinted(
                batch_id=batch_id,
                issuance_id=f"iss-{batch_id}",
                attributes=attrs,
                issued_quantity_t=quantity,
                buffer_quantity_t=buffer,
                serial_start=f"{batch_id.upper()}-000001",
                serial_end=f"{batch_id.upper()}-{quantity:06d}",
                holder_account_id="acc-prop",
                blocks=[_block(batch_id, "acc-prop", 1, quantity, rtypes.UNIT_STATUS_HELD)],
            ),
        )
    b.add(
        "registry",
        "batch",
        BATCH_JCREDIT,
        reg.CreditsTransferred(
            transfer_id="tr-1",
            batch_id=BATCH_JCREDIT,
            from_account_id="acc-prop",
            from_organization_id=PROPONENT,
            to_account_id="acc-buyer",
            to_organization_id=BUYER,
            quantity_t=300,
            blocks=[_block(BATCH_JCREDIT, "acc-buyer", 1, 300, rtypes.UNIT_STATUS_HELD)],
            accounting=rtypes.TransferAccounting(
                batch_id=BATCH_JCREDIT, quantity_t=300, issuer_onset=True, onset_fiscal_year=2024
            ),
        ),
    )
    b.add(
        "registry",
        "batch",
        BATCH_JCREDIT,
        reg.CreditsRetired(
            retirement_id="ret-shk",
            batch_id=BATCH_JCREDIT,
            account_id="acc-buyer",
            organization_id=BUYER,
            quantity_t=100,
            serial_ranges=[f"{BATCH_JCREDIT.upper()}-000001-{BATCH_JCREDIT.upper()}-000100"],
            purpose=rtypes.RETIREMENT_PURPOSE_SHK_ADJUSTMENT,
            beneficiary="Buyer KK",
            retirement_year=2024,
            retired_at=_ts(datetime(2024, 7, 1, 3, 0, tzinfo=UTC)),
        ),
    )
    b.add(
        "registry",
        "batch",
        BATCH_JCREDIT,
        reg.CreditsUsedForNdc(
            ndc_use_id="ndc-1",
            batch_id=BATCH_JCREDIT,
            account_id="acc-prop",
            organization_id=PROPONENT,
            quantity_t=5,
            serial_ranges=[f"{BATCH_JCREDIT.upper()}-000996-{BATCH_JCREDIT.upper()}-001000"],
            ndc_country="JP",
            ndc_year=2024,
            used_at=_ts(datetime(2024, 8, 1, tzinfo=UTC)),
        ),
    )
    b.add(
        "trading",
        "instrument",
        "inst-1",
        trd.InstrumentCreated(instrument_id="inst-1", name="VCS nature", currency="JPY"),
    )
    b.add(
        "trading",
        "instrument",
        "inst-1",
        trd.TradeExecuted(
            trade=ttypes.Trade(
                trade_id="trade-1",
                instrument_id="inst-1",
                price_decimal="1500.50",
                quantity_t=20,
                executed_at=_ts(datetime(2024, 7, 2, 1, 0, tzinfo=UTC)),
            ),
            buyer_organization_id=BUYER,
            seller_organization_id=PROPONENT,
            buyer_account_id="acc-buyer",
            seller_account_id="acc-prop",
        ),
    )
    b.add(
        "registry",
        "lock",
        "lock-1",
        reg.CreditsSettled(
            settlement_id="set-1",
            lock_id="lock-1",
            trade_id="trade-1",
            from_account_id="acc-prop",
            from_organization_id=PROPONENT,
            to_account_id="acc-buyer",
            to_organization_id=BUYER,
            quantity_t=20,
            blocks=[_block(BATCH_VCS, "acc-buyer", 1, 20, rtypes.UNIT_STATUS_HELD)],
            deliveries=[
                rtypes.TransferAccounting(batch_id=BATCH_VCS, quantity_t=20, issuer_onset=True, onset_fiscal_year=2024)
            ],
        ),
    )
    b.add(
        "trading",
        "instrument",
        "inst-1",
        trd.TradeSettled(
            trade_id="trade-1",
            instrument_id="inst-1",
            settlement_id="set-1",
            deliveries=[ttypes.DeliveredBatch(batch_id=BATCH_VCS, quantity_t=20)],
            amount_decimal="30010.00",
            currency="JPY",
        ),
    )
    b.add(
        "registry",
        "batch",
        BATCH_VCS,
        reg.CreditsRetired(
            retirement_id="ret-vol",
            batch_id=BATCH_VCS,
            account_id="acc-buyer",
            organization_id=BUYER,
            quantity_t=15,
            serial_ranges=[f"{BATCH_VCS.upper()}-000001-{BATCH_VCS.upper()}-000015"],
            purpose=rtypes.RETIREMENT_PURPOSE_VOLUNTARY_OFFSET,
            beneficiary='Buyer KK, "green" events',
            retirement_year=2024,
            offset_emissions_decimal="14.75",
            activity_description="Annual conference, 2024",
            retired_at=_ts(datetime(2024, 9, 1, tzinfo=UTC)),
        ),
    )
    b.add(
        "registry",
        "batch",
        BATCH_VCS,
        reg.CreditsCancelled(
            cancellation_id="can-1",
            batch_id=BATCH_VCS,
            account_id="acc-buyer",
            organization_id=BUYER,
            quantity_t=5,
            serial_ranges=[f"{BATCH_VCS.upper()}-000016-{BATCH_VCS.upper()}-000020"],
            purpose=rtypes.CANCELLATION_PURPOSE_CORSIA,
            beneficiary="Airline",
            cancelled_at=_ts(datetime(2024, 9, 2, tzinfo=UTC)),
        ),
    )
    # A wildfire reverses 30 t of the forest's removals; the registry cancels 20 t of its buffer so far.
    b.add(
        "issuance",
        "project",
        "proj-forest",
        iss.ReversalReported(
            reversal_id="rev-fire",
            project_id="proj-forest",
            batch_id=BATCH_VCS,
            reversed_quantity_t=30,
            occurred_on="2024-09-10",
            description="Wildfire",
        ),
    )
    b.add(
        "registry",
        "batch",
        BATCH_VCS,
        reg.BufferCancelled(
            cancellation_id="bufcan-1",
            batch_id=BATCH_VCS,
            buffer_account_id="acc-buffer-vcs",
            quantity_t=20,
            blocks=[_block(BATCH_VCS, "acc-buffer-vcs", 481, 500, rtypes.UNIT_STATUS_CANCELLED)],
            serial_ranges=[f"{BATCH_VCS.upper()}-000481-{BATCH_VCS.upper()}-000500"],
            reversal_id="rev-fire",
            reason="Wildfire",
        ),
    )
    # An event reporting does not project still counts in the producer's log.
    b.add("issuance", "project", "proj-solar", iss.ProjectWithdrawn(project_id="proj-solar", reason="end of period"))
    return b.events


def producer_event_log(engine: Engine, events: list[Logged], producer: str) -> None:
    """Write one producer's events into a real event_log table (its outbox), in order."""
    outbox = add_outbox_tables(MetaData())
    outbox.event_log.metadata.create_all(engine)
    with engine.begin() as conn:
        for item in events:
            if item.producer != producer:
                continue
            env = item.envelope
            conn.execute(
                insert(outbox.event_log).values(
                    event_id=env.event_id,
                    event_type=env.event_type,
                    aggregate_type=env.aggregate_type,
                    aggregate_id=env.aggregate_id,
                    sequence=env.sequence,
                    occurred_at=env.occurred_at.ToDatetime(tzinfo=UTC),
                    envelope=env.SerializeToString(),
                    published_at=None,
                )
            )
