"""Every hostile request is answered 4xx/200 within 100 ms, and memory does not grow 50 MB.

One service process with Slack (HTTP mode) and the generic webhook on. The requests go over
a bare socket, so an oversized body is timed by the answer, not by the upload; the process's
VmRSS is sampled every 5 ms throughout. A signed 900 KB enquiry must be acknowledged as fast
and drafted without stalling /healthz; afterwards an ordinary enquiry still gets its card
(nothing hostile poisons the queue).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import replace
from pathlib import Path

import httpx

from tests.fault.hostile import OK, QUESTION, Hostile, hostile_requests
from tests.fault.memory import RssWatch
from tests.fault.service import (
    REVIEW_CHANNEL,
    ServiceProcess,
    free_port,
    platform_settings,
    service_env,
)
from tests.fault.traffic import GENERIC_PATH, RawAnswer, deliver, generic_enquiry, signed_generic
from tests.fault.tripwires import TrippingReceiver, TrippingSlack
from tests.fault.workload import new_run_id

GROWTH_LIMIT_MIB = 50
HEALTHZ_SECONDS = 0.100


class TestHostileInput:
    async def test_hostile_requests_are_answered_fast_without_growth(
        self,
        database_url: str,
        tmp_path: Path,
        slack: TrippingSlack,
        receiver: TrippingReceiver,
    ) -> None:
        env = service_env(
            database_url, tmp_path / "data", free_port(), **platform_settings(slack_url=slack.url)
        )
        service = ServiceProcess("hostile", env, tmp_path / "service.log")
        run = new_run_id()
        reply_url = f"{receiver.url}/replies"
        await asyncio.to_thread(service.start)
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                for n in range(3):  # warm up: the first drafts load what drafting needs
                    await send_enquiry(
                        client, service, f"warm-{run}-{n}", f"[{run}-w{n}]", reply_url
                    )
                await wait_for_card(slack, f"[{run}-w2]", 30)
                baseline = service.rss_kib()
                big = generic_enquiry(
                    f"big-{run}",
                    f"{QUESTION} [{run}-big] " + "Paket " * 150_000,
                    reply_url,
                    "big-1",
                )
                requests = [
                    *hostile_requests(run, reply_url),
                    Hostile(
                        f"signed {len(big) // 1024} KB enquiry",
                        GENERIC_PATH,
                        big,
                        OK,
                        signed_generic,
                    ),
                ]
                answers: list[tuple[Hostile, RawAnswer]] = []
                with RssWatch(service) as watch:
                    for hostile in requests:
                        answers.append((hostile, await answered_in_time(hostile, service.port)))
                    probes = asyncio.create_task(
                        healthz_while(client, service, slack, f"[{run}-big]", 20)
                    )
                    await asyncio.sleep(0.2)  # while the big one drafts
                    ordinary = time.perf_counter()
                    after = await send_enquiry(
                        client, service, f"after-{run}", f"[{run}-after]", reply_url
                    )
                    after_ms = (time.perf_counter() - ordinary) * 1000
                    healthz = await probes
                    card_after = await wait_for_card(slack, f"[{run}-after]", 30)
                alive = service.alive()
        finally:
            await asyncio.to_thread(service.stop)
        growth = (watch.peak_kib - baseline) / 1024
        lines = [
            f"{hostile.name}: {answer.status or 'closed'} in {answer.seconds * 1000:.0f} ms"
            f" ({answer.sent_bytes // 1024} KB of the body sent"
            + (f", all of it after {answer.uploaded * 1000:.0f} ms)" if answer.uploaded else ")")
            + ("" if hostile.accepts(answer) else "  <-- WRONG")
            for hostile, answer in answers
        ]
        lines += [
            f"RSS baseline {baseline / 1024:.0f} MiB, peak {watch.peak_kib / 1024:.0f} MiB "
            f"(+{growth:.0f} MiB, {watch.samples} samples)",
            f"/healthz while the big enquiry drafted: {len(healthz)} probes, "
            f"max {max(healthz, default=0) * 1000:.0f} ms",
            f"ordinary enquiry sent while the big one drafted: {after} in {after_ms:.0f} ms, "
            f"its card after {card_after:.1f} s (not asserted: the ack time is a figure)",
        ]
        report = "\n".join(lines)
        print(report)
        assert alive, report + "\n" + service.log_tail()
        assert all(hostile.accepts(answer) for hostile, answer in answers), report
        assert growth < GROWTH_LIMIT_MIB, report
        assert healthz and max(healthz) < HEALTHZ_SECONDS, report
        assert after == 200 and card_after < 30, report


async def answered_in_time(hostile: Hostile, port: int, tries: int = 3) -> RawAnswer:
    """Send `hostile` until its answer is right and in time, at most `tries` times.

    A repeat is the same request (a signed enquiry repeats as a duplicate), so only the time
    can differ: the bound is about the service's work, and on a shared two-core machine one
    answer in a few may wait for the scheduler. A wrong status fails at once.
    """
    answer = await hostile.send(port)
    for _ in range(tries - 1):
        if hostile.accepts(answer) or not hostile.accepts(replace(answer, seconds=0.0)):
            break
        answer = await hostile.send(port)
    return answer


async def send_enquiry(
    client: httpx.AsyncClient,
    service: ServiceProcess,
    external_id: str,
    marker: str,
    reply_url: str,
) -> int:
    body = generic_enquiry(external_id, f"{QUESTION} {marker}", reply_url, external_id)
    return (await deliver(client, [service.url], GENERIC_PATH, body, give_up_after=10)).status


def card_with(slack: TrippingSlack, marker: str) -> bool:
    pattern = re.escape(marker)
    return any(re.search(pattern, json.dumps(m.blocks)) for m in slack.messages(REVIEW_CHANNEL))


async def wait_for_card(slack: TrippingSlack, marker: str, within: float) -> float:
    """Seconds until a card shows `marker` (inf when none came within `within`)."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if await asyncio.to_thread(card_with, slack, marker):
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    return float("inf")


async def healthz_while(
    client: httpx.AsyncClient,
    service: ServiceProcess,
    slack: TrippingSlack,
    marker: str,
    within: float,
) -> list[float]:
    """/healthz latencies (s) from now until the card with `marker` is up (at least 1 s)."""
    latencies: list[float] = []
    started = time.monotonic()
    while time.monotonic() - started < within:
        probe = time.perf_counter()
        try:
            ok = (await client.get(f"{service.url}/healthz", timeout=5)).status_code == 200
        except httpx.HTTPError:
            ok = False
        latencies.append(time.perf_counter() - probe if ok else float("inf"))
        if time.monotonic() - started > 1 and await asyncio.to_thread(card_with, slack, marker):
            break
        await asyncio.sleep(0.02)
    return latencies
