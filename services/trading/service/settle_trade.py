"""SettleTrade: delivery versus payment for one trade (the saga in settlement.py); safe to repeat."""

from __future__ import annotations

from collections.abc import Callable

from services.trading.domain.commands import SettleTrade
from services.trading.domain.records import TradeRecord
from services.trading.domain.session import Clock
from services.trading.service.ports import RegistryPort, UnitOfWork
from services.trading.service.settlement import settle


def handle(
    cmd: SettleTrade, uow: UnitOfWork, *, registry: RegistryPort, clock: Clock, service_token: Callable[[], str]
) -> TradeRecord:
    return settle(uow, cmd.trade_id, registry=registry, clock=clock, service_token=service_token)
