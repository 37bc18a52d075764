"""The trading handlers on fakes: the real message bus and handlers, an in-memory unit of work
(tests/support/fake_trading_uow.py), the shared in-memory registry and a manual clock. No database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from carbon_runtime.messaging.bus import MessageBus
from services.trading.domain import commands
from services.trading.domain.actor import Actor
from services.trading.domain.instruments import InstrumentCriteria
from services.trading.domain.orders import Side
from services.trading.domain.session import ManualClock
from services.trading.service.handlers import HANDLERS
from services.trading.service.markets import Markets, UnitOfWorkSource
from services.trading.service.messages import to_messages
from services.trading.service.place_order import PlacedOrder
from services.trading.service.rate_limit import RateLimiter
from tests.support.fake_registry import FakeRegistry
from tests.support.fake_trading_uow import FakeTradingUnitOfWork

START = datetime(2025, 4, 1, 1, 0, tzinfo=UTC)  # 10:00 JST

#: The JPX carbon-credit market's day: orders accumulate, call auctions at 11:30 and 15:00 JST.
JPX = commands.ScheduleSpec(
    steps=(
        commands.ScheduleStepSpec("09:00", "PRE_OPEN"),
        commands.ScheduleStepSpec("11:30", "AUCTION", "CLOSED"),
        commands.ScheduleStepSpec("12:30", "PRE_OPEN"),
        commands.ScheduleStepSpec("15:00", "AUCTION", "CLOSED"),
    )
)

ADMIN = Actor("admin", None, frozenset({"EXCHANGE_ADMIN"}), "token-admin")
SELLER = Actor("u1@org-seller", "org-seller", frozenset({"TRADER"}), "token-org-seller")
BUYER = Actor("u1@org-buyer", "org-buyer", frozenset({"TRADER"}), "token-org-buyer")


@dataclass
class Exchange:
    uow: FakeTradingUnitOfWork = field(default_factory=FakeTradingUnitOfWork)
    registry: FakeRegistry = field(default_factory=FakeRegistry)
    clock: ManualClock = field(default_factory=lambda: ManualClock(START))
    wakes: int = 0

    def __post_init__(self) -> None:
        self.markets = Markets(UnitOfWorkSource(self.uow), self.clock)
        self.bus: MessageBus[FakeTradingUnitOfWork] = MessageBus(
            lambda: self.uow,
            HANDLERS,
            to_messages,
            dependencies={
                "markets": self.markets,
                "registry": self.registry,
                "clock": self.clock,
                "service_token": lambda: "service-token",
                "rate_limiter": RateLimiter(rate_per_s=1000.0, burst=1000),
                "wake_settlement": self._wake,
            },
        )

    def _wake(self) -> None:
        self.wakes += 1

    def handle(self, cmd: object) -> Any:
        return self.bus.handle(cmd)

    def instrument(self, tick: str = "1", **kw: Any) -> str:
        cmd = commands.CreateInstrument(
            ADMIN, name="J-Credit removal", currency="JPY", tick_size=Decimal(tick), criteria=InstrumentCriteria(), **kw
        )
        return str(self.handle(cmd).instrument.id)

    def fund(self, organization_id: str, amount: str) -> None:
        self.handle(commands.DepositFunds(ADMIN, organization_id, "JPY", Decimal(amount)))

    def place(
        self, who: Actor, instrument_id: str, side: Side, price: str, quantity_t: int, account_id: str, **kw: Any
    ) -> PlacedOrder:
        cmd = commands.PlaceOrder(who, instrument_id, side, Decimal(price), quantity_t, account_id, **kw)
        placed: PlacedOrder = self.handle(cmd)
        return placed

    def cash(self, organization_id: str) -> tuple[Decimal, Decimal]:
        c = self.uow.cash.get(organization_id, "JPY")
        return c.available, c.locked

    def event_types(self) -> list[str]:
        return [type(e).__name__ for e in self.uow.events]

    def message_types(self) -> list[str]:
        return [type(m.payload).__name__ for m in self.uow.messages]
