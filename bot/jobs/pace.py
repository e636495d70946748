"""Background work gives way while requests wait: acknowledging comes before drafting.

Inbound requests and the queue workers share one event loop. Under a burst the workers'
steps (filing, drafting, publishing) would keep requests waiting; `Pace` notices that the
loop runs late (a timer fires later than it should) and holds the workers back until it
catches up. It never holds them for long, so the queues keep moving under steady load.
"""

from __future__ import annotations

import asyncio
import time

# A timer this late means requests are queuing behind other work.
_LATE_SECONDS = 0.005
_TICK_SECONDS = 0.01
# Workers wait at most this long per step, so the queues still drain under steady load.
_MAX_HOLD_SECONDS = 0.25


class Pace:
    """Watches the event loop's lateness; `wait_turn` holds a worker while it is late."""

    def __init__(self) -> None:
        self._late_until = 0.0

    async def watch(self, stop: asyncio.Event) -> None:
        """Background job: measure how late a short timer fires, until `stop`."""
        while not stop.is_set():
            started = time.monotonic()
            await asyncio.sleep(_TICK_SECONDS)
            lateness = time.monotonic() - started - _TICK_SECONDS
            if lateness > _LATE_SECONDS:
                self._late_until = time.monotonic() + 2 * _TICK_SECONDS

    async def wait_turn(self) -> None:
        """Return once the loop is on time again, or after `_MAX_HOLD_SECONDS`."""
        held_until = time.monotonic() + _MAX_HOLD_SECONDS
        # Polling a measurement, not waiting for an event: lateness has no moment to signal.
        while time.monotonic() < min(self._late_until, held_until):  # noqa: ASYNC110
            await asyncio.sleep(_TICK_SECONDS)
