"""What the trading entrypoints share: the message bus (every mutation), the read model (queries),
the instruments' engines (live market data) and the clock. Built once by bootstrap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carbon_runtime.messaging.bus import MessageBus
from services.trading.domain.session import Clock
from services.trading.service.markets import Markets
from services.trading.service.ports import ReadModel


@dataclass
class TradingApp:
    bus: MessageBus[Any]
    markets: Markets
    read_model: ReadModel
    clock: Clock
