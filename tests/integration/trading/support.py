"""The trading service on a real database (SQLite or PostgreSQL) for integration tests: the bus built
by bootstrap with the shared in-memory registry (tests/support/fake_registry.py) and a controllable
clock, and `Exchange`, which sends commands and reads the way the entrypoints do. Also the HTTP side:
`gql` with dev `token`s, and `SseStream` for the GraphQL-over-SSE subscriptions (`TRADES`, `BOOK`)."""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import socket
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from carbon_runtime.ops.bootstrap import build_core
from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import Principal, issue_dev_token
from services.trading.adapters import tables
from services.trading.bootstrap import build_app
from services.trading.domain import commands
from services.trading.domain.actor import Actor
from services.trading.domain.instruments import InstrumentCriteria
from services.trading.domain.records import CashRecord, OrderRecord, TradeRecord
from services.trading.domain.session import ManualClock, SessionSchedule
from services.trading.entrypoints.app import TradingApp
from services.trading.service import queries
from services.trading.service.market_feed import MarketFeed
from services.trading.service.markets import Market
from services.trading.service.place_order import PlacedOrder
from services.trading.service.rate_limit import RateLimiter
from services.trading.service.report_otc_trade import OtcReport
from services.trading.service.tender_views import BidView, TenderView
from services.trading.settings import TradingSettings
from tests.support.fake_registry import FakeRegistry

START = datetime(2025, 4, 1, 1, 0, tzinfo=UTC)  # 10:00 JST


def principal(org: str | None, *roles: str, user: str = "u1") -> Principal:
    return Principal(user_id=f"{user}@{org}", organization_id=org, roles=frozenset(roles), token=f"token-{org}")


ADMIN = principal(None, "EXCHANGE_ADMIN", user="admin")


def actor(p: Principal) -> Actor:
    return Actor(p.user_id, p.organization_id, p.roles, p.token)


class Exchange:
    """One trading service instance: commands go through its bus, reads through its read model."""

    def __init__(self, app: TradingApp, db: Engine) -> None:
        self.app = app
        self.db = db

    @property
    def feed(self) -> MarketFeed:
        return self.app.markets.feed

    @feed.setter
    def feed(self, feed: MarketFeed) -> None:
        self.app.markets.feed = feed

    def handle(self, cmd: object) -> Any:
        return self.app.bus.handle(cmd)

    # --- commands ------------------------------------------------------------------------------

    def place_order(self, who: Principal, **kw: Any) -> PlacedOrder:
        placed: PlacedOrder = self.handle(commands.PlaceOrder(actor(who), **kw))
        return placed

    def cancel_order(self, who: Principal, order_id: str) -> OrderRecord:
        order: OrderRecord = self.handle(commands.CancelOrder(actor(who), order_id))
        return order

    def amend_order(self, who: Principal, order_id: str, **kw: Any) -> PlacedOrder:
        placed: PlacedOrder = self.handle(commands.AmendOrder(actor(who), order_id, **kw))
        return placed

    def create_tender(self, who: Principal, **kw: Any) -> TenderView:
        view: TenderView = self.handle(commands.CreateTender(actor(who), **kw))
        return view

    def submit_bid(self, who: Principal, **kw: Any) -> BidView:
        bid: BidView = self.handle(commands.SubmitBid(actor(who), **kw))
        return bid

    def close_tender(self, who: Principal, tender_id: str) -> TenderView:
        view: TenderView = self.handle(commands.CloseTender(actor(who), tender_id))
        return view

    def report_otc_trade(self, who: Principal, **kw: Any) -> OtcReport:
        report: OtcReport = self.handle(commands.ReportOtcTrade(actor(who), **kw))
        return report

    def deposit_funds(self, who: Principal, organization_id: str, currency: str, amount: Decimal) -> CashRecord:
        cash: CashRecord = self.handle(commands.DepositFunds(actor(who), organization_id, currency, amount))
        return cash

    def settle_pending(self) -> int:
        settled: int = self.handle(commands.SettlePendingTrades())
        return settled

    def settle_trade(self, trade_id: str) -> TradeRecord:
        trade: TradeRecord = self.handle(commands.SettleTrade(trade_id))
        return trade

    def run_due_steps(self) -> list[str]:
        trade_ids: list[str] = self.handle(commands.RunDueSessionSteps())
        return trade_ids

    # --- reads ---------------------------------------------------------------------------------

    def cash_balance(self, who: Principal, organization_id: str, currency: str) -> CashRecord:
        return queries.cash_balance(self.app.read_model, actor(who), organization_id, currency)

    def get_order(self, who: Principal, order_id: str) -> OrderRecord | None:
        return queries.get_order(self.app.read_model, actor(who), order_id)

    def get_trade(self, trade_id: str) -> TradeRecord:
        return queries.get_trade(self.app.read_model, trade_id)

    def list_trades(self, instrument_id: str, limit: int = 100) -> list[TradeRecord]:
        return queries.list_trades(self.app.read_model, instrument_id, limit)

    def market_data(self, instrument_id: str, depth: int = 5) -> queries.MarketData:
        return queries.market_data(self.app.markets, self.app.read_model, self.app.clock, instrument_id, depth)

    def market_statistics(self, instrument_id: str) -> queries.MarketStatistics:
        return queries.market_statistics(self.app.markets, self.app.read_model, instrument_id)

    def get_tender(self, tender_id: str) -> TenderView | None:
        return queries.get_tender(self.app.read_model, tender_id)

    def market(self, instrument_id: str) -> Market:
        return self.app.markets.get(instrument_id)

    def markets(self) -> list[Market]:
        return self.app.markets.all()


def make_exchange(
    database_url: str,
    registry: FakeRegistry,
    clock: ManualClock,
    *,
    rate_limiter: RateLimiter | None = None,
) -> Exchange:
    """An exchange on `database_url`, which is at the trading migration head already (a restart is a
    second exchange on the same database)."""
    settings = TradingSettings(database_url=database_url, kafka_bootstrap_servers=None)
    core = build_core(settings, tables.outbox, configure_process=False)
    return Exchange(build_app(settings, core, registry, clock, rate_limiter=rate_limiter), core.engine)


def create_instrument(
    exchange: Exchange, tick: str = "1", *, schedule: SessionSchedule | None = None, **kw: Any
) -> str:
    """An instrument that accepts any credit; `schedule` makes it a call-auction market."""
    spec = None
    if schedule is not None:
        offset = schedule.tz.utcoffset(None)
        spec = commands.ScheduleSpec(
            steps=tuple(
                commands.ScheduleStepSpec(
                    step.at.strftime("%H:%M:%S"), step.phase.value, step.then.value if step.then else None
                )
                for step in schedule.steps
            ),
            utc_offset_minutes=int(offset.total_seconds() // 60) if offset is not None else 0,
        )
    listed = exchange.handle(
        commands.CreateInstrument(
            actor(ADMIN),
            name="J-Credit removal 2024",
            currency="JPY",
            tick_size=Decimal(tick),
            criteria=InstrumentCriteria(),
            schedule=spec,
            **kw,
        )
    )
    return str(listed.instrument.id)


def fund(exchange: Exchange, org: str, amount: str) -> None:
    exchange.deposit_funds(ADMIN, org, "JPY", Decimal(amount))


# --- over HTTP: GraphQL queries and mutations with dev tokens, and GraphQL-over-SSE subscriptions -------

SECRET = AuthSettings().jwt_secret
EVENT_TIMEOUT_S = 10.0


def token(org: str | None, *roles: str) -> str:
    return issue_dev_token(SECRET, f"user-{org}", org, roles)


def gql(client: TestClient, query: str, variables: dict[str, Any] | None = None, bearer: str | None = None) -> Any:
    headers = {"authorization": f"Bearer {bearer}"} if bearer else {}
    response = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


TRADES = """subscription($i: ID!) { trades(instrumentId: $i) {
  id instrumentId price quantity source settled executedAt } }"""
BOOK = """subscription($i: ID!, $d: Int!) { orderBook(instrumentId: $i, depth: $d) {
  instrumentId sequence phase bestBid bestAsk lastPrice at
  bids { price quantity orderCount } asks { price quantity orderCount } } }"""


class SseStream:
    """A GraphQL-over-SSE subscription (POST, `Accept: text/event-stream`) read on a background
    thread: `next()` returns each `next` event's payload; `completed` is set by `complete`."""

    def __init__(self, url: str, query: str, variables: dict[str, Any], headers: dict[str, str] | None = None):
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.completed = threading.Event()
        parsed = urlsplit(url)
        self._conn = http.client.HTTPConnection(parsed.hostname or "", parsed.port, timeout=EVENT_TIMEOUT_S)
        body = json.dumps({"query": query, "variables": variables})
        self._conn.request(
            "POST",
            parsed.path,
            body=body,
            headers={"content-type": "application/json", "accept": "text/event-stream", **(headers or {})},
        )
        self._response = self._conn.getresponse()
        self.status_code = self._response.status
        assert self._conn.sock is not None
        self._conn.sock.settimeout(None)  # a quiet market sends nothing for a while
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        event: str | None = None
        try:
            for raw in self._response:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    event = line.removeprefix("event:").strip()
                elif line.startswith("data:") and event == "next":
                    self.events.put(json.loads(line.removeprefix("data:")))
                elif line.startswith("data:") and event == "complete":
                    self.completed.set()
                    return
        except (OSError, ValueError, http.client.HTTPException):
            return  # closed by the test

    def next(self) -> dict[str, Any]:
        try:
            return self.events.get(timeout=EVENT_TIMEOUT_S)
        except queue.Empty:
            raise AssertionError("no event arrived in time") from None

    def assert_quiet(self, wait_s: float = 0.3) -> None:
        time.sleep(wait_s)
        assert self.events.empty(), f"unexpected event {self.events.queue[0]}"

    def close(self) -> None:
        """Hang up, as a client that goes away does."""
        if self._conn.sock is not None:
            with contextlib.suppress(OSError):
                self._conn.sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=EVENT_TIMEOUT_S)
        self._conn.close()
