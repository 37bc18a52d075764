"""Trading-session schedules and the clocks that drive them.

A schedule is a list of daily steps in the instrument's local time. A step either switches the
phase, or (phase AUCTION) runs a call auction at that instant and then switches to `then`. The
engine never reads wall time itself: it asks an injected `Clock`, so tests and replays control time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Protocol

from carbon_runtime.errors import invalid
from services.trading.domain.events import Phase

JST = timezone(timedelta(hours=9), "JST")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to: for tests and for `Engine.replay`."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise invalid("NAIVE_DATETIME", "clock instants must carry a time zone")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise invalid("NAIVE_DATETIME", "clock instants must carry a time zone")
        self._now = at

    def advance(self, delta: timedelta) -> None:
        self._now += delta


@dataclass(frozen=True, slots=True)
class SessionStep:
    at: time
    phase: Phase
    then: Phase | None = None  # only for AUCTION: the phase once the auction has uncrossed

    def effective_phase(self) -> Phase:
        """The phase the book is in after this step has run."""
        return self.then if self.then is not None else self.phase


@dataclass(frozen=True, slots=True)
class SessionSchedule:
    """Daily steps (every calendar day; exchange holidays are not modelled). DAY orders expire
    after the day's last step when it leaves the book CLOSED; a schedule whose day ends in
    CONTINUOUS (a 24-hour market) never expires DAY orders."""

    steps: tuple[SessionStep, ...]
    tz: tzinfo = JST

    def __post_init__(self) -> None:
        if not self.steps:
            raise invalid("SCHEDULE_EMPTY", "a session schedule needs at least one step")
        times = [step.at for step in self.steps]
        if times != sorted(set(times)):
            raise invalid("SCHEDULE_NOT_ORDERED", "session steps must be in strictly increasing time order")
        for index, step in enumerate(self.steps):
            if step.phase is Phase.AUCTION:
                if step.then is None or step.then is Phase.AUCTION:
                    raise invalid("AUCTION_NEEDS_NEXT_PHASE", "an AUCTION step must say which phase follows")
            elif step.then is not None:
                raise invalid("THEN_ONLY_FOR_AUCTION", "only an AUCTION step has a following phase")
            # Orders accumulated in PRE_OPEN may cross; only an auction may uncross them, otherwise
            # a crossed book would rest into the next phase.
            following = self.steps[(index + 1) % len(self.steps)]
            if step.effective_phase() is Phase.PRE_OPEN and following.phase is not Phase.AUCTION:
                raise invalid("PRE_OPEN_NEEDS_AUCTION", "a PRE_OPEN step must be followed by an AUCTION step")

    def phase_at(self, at: datetime) -> Phase:
        local_time = at.astimezone(self.tz).time()
        current = self.steps[-1]  # before the first step, yesterday's last step is in effect
        for step in self.steps:
            if step.at <= local_time:
                current = step
        return current.effective_phase()

    def next_step_after(self, at: datetime) -> tuple[datetime, SessionStep]:
        """The first step strictly after `at`."""
        local_day: date = at.astimezone(self.tz).date()
        for step in self.steps:
            step_at = datetime.combine(local_day, step.at, tzinfo=self.tz)
            if step_at > at:
                return step_at, step
        first = self.steps[0]
        return datetime.combine(local_day + timedelta(days=1), first.at, tzinfo=self.tz), first

    def ends_day(self, step: SessionStep) -> bool:
        return step is self.steps[-1] and step.effective_phase() is Phase.CLOSED

    @classmethod
    def jpx_carbon_credit_market(cls) -> SessionSchedule:
        """JPX carbon-credit market: orders accumulate and are matched only by itayose at 11:30 and
        15:00 JST (no continuous session)."""
        return cls(
            steps=(
                SessionStep(time(9, 0), Phase.PRE_OPEN),
                SessionStep(time(11, 30), Phase.AUCTION, then=Phase.CLOSED),
                SessionStep(time(12, 30), Phase.PRE_OPEN),
                SessionStep(time(15, 0), Phase.AUCTION, then=Phase.CLOSED),
            ),
            tz=JST,
        )
