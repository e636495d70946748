"""Kill the service at the worst moments: stand-ins that fire a tripwire on a matching request.

A random SIGKILL rarely lands in the few milliseconds that matter, so most kills are aimed:
the stand-in recognises the request (a card being posted, a reply reaching the customer,
getUpdates confirming updates) and SIGKILLs the service *before* answering it. The platform
has then done its part (the card exists, the customer has the reply, the updates are
confirmed) while the service never hears back, which is what a crash at that moment means.

The stand-ins here only add the tripwire check to the shared stand-ins' `_handle`; the
workload has tripwires of its own (right after an enquiry's or a click's 200). `kill_at`
arms them one after another, waits for each to fire and starts the services again.
"""

from __future__ import annotations

import asyncio
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tests.fault.service import REVIEW_CHANNEL, ServiceProcess, start_all
from tests.stand_ins import RecordedCall, ReplyReceiver, SlackStandIn, TelegramStandIn
from tests.stand_ins.wire import Reply

# A caller's name in front of /api/: /replica-1/api/chat.postMessage.
_CALLER = re.compile(r"^/[A-Za-z0-9_-]+(?=/api/)")


class Tripwire:
    """Runs an action once, the first time an armed predicate matches what is checked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._predicate: Callable[[object], bool] | None = None
        self._action: Callable[[], None] | None = None
        self.fired = threading.Event()

    def arm(self, predicate: Callable[[object], bool], action: Callable[[], None]) -> None:
        """Fire `action` on the next subject that `predicate` accepts."""
        with self._lock:
            self.fired.clear()
            self._predicate, self._action = predicate, action

    def disarm(self) -> None:
        """Forget the armed predicate without firing."""
        with self._lock:
            self._predicate = self._action = None

    def check(self, subject: object) -> None:
        """Fire if armed and `subject` matches (the action runs in the caller's thread)."""
        with self._lock:
            if self._predicate is None or self._action is None or not self._predicate(subject):
                return
            action = self._action
            self._predicate = self._action = None
            action()
            self.fired.set()


class TrippingSlack(SlackStandIn):
    """The Slack stand-in with a tripwire checked before each request is handled.

    It also serves the Web API under ``/<name>/api/`` (e.g. ``/replica-1/api/``), so each
    replica can be given its own SLACK_API_URL and a tripwire can tell who called.
    """

    def __init__(self, token: str | None = None) -> None:
        super().__init__(token)
        self.tripwire = Tripwire()

    def _api_method(self, http_method: str, path: str) -> str:
        return super()._api_method(http_method, _CALLER.sub("", path))

    def _handle(self, call: RecordedCall) -> Reply:
        self.tripwire.check(call)
        return super()._handle(call)


class TrippingTelegram(TelegramStandIn):
    """The Telegram stand-in with a tripwire checked before each request is handled."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__(token)
        self.tripwire = Tripwire()

    def _handle(self, call: RecordedCall) -> Reply:
        self.tripwire.check(call)
        return super()._handle(call)


class TrippingReceiver(ReplyReceiver):
    """The reply receiver with a tripwire checked before each request is handled."""

    def __init__(self) -> None:
        super().__init__()
        self.tripwire = Tripwire()

    def _handle(self, call: RecordedCall) -> Reply:
        self.tripwire.check(call)
        return super()._handle(call)


def is_card_post(subject: object) -> bool:
    """A new review card (top-level chat.postMessage in the review channel)."""
    return (
        isinstance(subject, RecordedCall)
        and subject.api_method == "chat.postMessage"
        and subject.params.get("channel") == REVIEW_CHANNEL
        and not subject.params.get("thread_ts")
    )


def is_card_post_by(caller: str) -> Callable[[object], bool]:
    """A new review card posted through ``/<caller>/api/`` (see `TrippingSlack`)."""

    def check(subject: object) -> bool:
        return (
            is_card_post(subject)
            and isinstance(subject, RecordedCall)
            and subject.path.startswith(f"/{caller}/")
        )

    return check


def is_reply(subject: object) -> bool:
    """A reply POSTed to the receiver."""
    return isinstance(subject, RecordedCall) and subject.method == "POST"


def confirms_updates(telegram: TelegramStandIn) -> Callable[[object], bool]:
    """A getUpdates call whose offset confirms at least one update still pending."""

    def check(subject: object) -> bool:
        if not isinstance(subject, RecordedCall) or subject.api_method != "getUpdates":
            return False
        offset = int(str(subject.params.get("offset") or 0))
        pending = [int(str(u.get("update_id"))) for u in telegram.pending_updates()]
        return offset > 0 and any(update_id < offset for update_id in pending)

    return check


def always(subject: object) -> bool:
    """Any subject."""
    return True


@dataclass(frozen=True)
class AimedKill:
    """A moment to SIGKILL at: the tripwire that sees it and what it must match."""

    moment: str
    tripwire: Tripwire
    matches: Callable[[object], bool]


async def kill_at(
    services: Sequence[ServiceProcess],
    kills: Sequence[AimedKill],
    rng: random.Random,
    wait: float = 10.0,
) -> list[str]:
    """SIGKILL every service in `services` at each aimed moment in turn, restarting them.

    Between kills the traffic flows for a random 0.3–1.2 s. A moment that does not come within
    `wait` seconds is replaced by a kill at that time (the log says so).

    Returns:
        One line per kill: the moment hit and how long the restart took.
    """
    lines = []

    def kill_all() -> None:
        for service in services:
            service.signal_kill()

    for kill in kills:
        await asyncio.sleep(rng.uniform(0.3, 1.2))
        kill.tripwire.arm(kill.matches, kill_all)
        hit = await asyncio.to_thread(kill.tripwire.fired.wait, wait)
        if not hit:
            kill.tripwire.disarm()
            kill_all()
        for service in services:
            await asyncio.to_thread(service.kill)
        started = time.monotonic()
        failures = await asyncio.to_thread(start_all, services)
        moment = kill.moment if hit else f"{kill.moment} (never came: killed after {wait:.0f} s)"
        lines.append(f"{moment}; serving again after {time.monotonic() - started:.1f} s")
        if failures:
            raise AssertionError(f"after the kill at {kill.moment}: {failures}")
    return lines
