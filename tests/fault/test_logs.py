"""The service's logs carry no personal data and no secrets, and no line over 2048 bytes.

One service process with every channel on (Slack, Telegram polling, the generic webhook,
Meta) is fed personal data (an e-mail address, a phone number, an IBAN) in enquiries on
every channel, in forged Slack requests, in a refused and in a 900 KB enquiry; Meta's
verification GET carries the verify token in its query and the webhook reply_url a key. The
enquiries are approved and delivered (the first delivery fails once, so the retry path logs
too). Then everything the process printed, stdout and stderr, is searched for those values.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest

from tests.fault.databases import (
    Tables,
    fresh_postgres_database,
    postgres_unavailable,
    sqlite_url,
)
from tests.fault.invariants import settle
from tests.fault.service import (
    META_APP_SECRET,
    META_VERIFY_TOKEN,
    SECRETS,
    TELEGRAM_TOKEN,
    ServiceProcess,
    free_port,
    platform_settings,
    service_env,
)
from tests.fault.traffic import GENERIC_PATH, SLACK_PATH, deliver, generic_enquiry
from tests.fault.tripwires import TrippingReceiver, TrippingSlack, TrippingTelegram
from tests.fault.workload import Workload
from tests.stand_ins import (
    MetaGraphStandIn,
    block_actions_body,
    event_callback_body,
    sign_meta_body,
    sign_slack_request,
)

EMAIL = "lena.kowalski.fault@example.org"
PHONE = "+49 171 5550123"
IBAN = "DE89 3704 0044 0532 0130 00"
URL_KEY = "reply-url-key-fault-2b9d71"
PERSONAL = f"Meine Mail ist {EMAIL}, Telefon {PHONE}, IBAN {IBAN}."
# Each value as written and as it may be re-encoded on its way into a log line.
FORBIDDEN = {
    "e-mail": [EMAIL, quote(EMAIL), EMAIL.replace("@", "\\u0040")],
    "phone": [PHONE, PHONE.replace(" ", ""), "1715550123"],
    "IBAN": [IBAN, IBAN.replace(" ", "")],
    "reply_url key": [URL_KEY],
    **{f"secret {secret[:8]}…": [secret] for secret in SECRETS},
    "telegram token secret part": [TELEGRAM_TOKEN.split(":", 1)[1]],
}
MAX_LINE_BYTES = 2048


@pytest.fixture
def meta() -> Iterator[MetaGraphStandIn]:
    with MetaGraphStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def logs_database_url(tmp_path: Path) -> Iterator[str]:
    """PostgreSQL where a server answers (its errors quote statement parameters), else SQLite."""
    if postgres_unavailable() is not None:
        yield sqlite_url(tmp_path / "replydesk.sqlite3")
        return
    with fresh_postgres_database() as url:
        yield url


class TestLogs:
    async def test_logs_carry_no_personal_data_or_secrets(
        self,
        logs_database_url: str,
        tmp_path: Path,
        slack: TrippingSlack,
        telegram: TrippingTelegram,
        receiver: TrippingReceiver,
        meta: MetaGraphStandIn,
    ) -> None:
        settings = platform_settings(
            slack_url=slack.url, telegram_url=telegram.url, meta_graph_url=meta.url
        )
        env = service_env(logs_database_url, tmp_path / "data", free_port(), **settings)
        service = ServiceProcess("logging", env, tmp_path / "service.log")
        reply_url = f"{receiver.url}/replies?key={URL_KEY}"
        workload = Workload(4, reply_url, approve_every=1, telegram_every=4)
        for enquiry in workload.enquiries:
            enquiry.text = f"{enquiry.text} {PERSONAL}"
        receiver.fail("*", times=1, status=500)  # the first reply fails once: retry path
        answers: dict[str, int] = {}
        tables = Tables(logs_database_url)
        await asyncio.to_thread(service.start)
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                sent = asyncio.Event()
                approver = asyncio.create_task(
                    workload.approve(client, [service.url], slack, sent, time.monotonic() + 60)
                )
                await workload.send(client, [service.url], telegram, 0.05)
                answers |= await hostile_with_personal_data(client, service, reply_url)
                sent.set()
                await approver
                await settle(workload, tables, slack, receiver, telegram, 30)
        finally:
            await asyncio.to_thread(service.stop)
            tables.dispose()
        log = service.log_path.read_bytes()
        leaks = [
            f"{what} ({value!r}) in: {line[:300]!r}"
            for what, values in FORBIDDEN.items()
            for value in values
            for line in log.decode("utf-8", errors="replace").splitlines()
            if value in line
        ]
        long_lines = [
            f"{len(line)} bytes: {line[:120]!r}…"
            for line in log.splitlines()
            if len(line) > MAX_LINE_BYTES
        ]
        delivered = sum(1 for call in receiver.calls() if call.method == "POST")
        report = "\n".join(
            [
                f"answers: {answers}",
                f"log: {len(log.splitlines())} lines, {len(log) // 1024} KB",
                f"reply POSTs (one failed on purpose): {delivered}",
                f"leaks: {len(leaks)}",
                *leaks[:20],
                f"lines over {MAX_LINE_BYTES} bytes: {len(long_lines)}",
                *long_lines[:5],
            ]
        )
        print(report)
        assert answers["Meta verification GET"] == 200, report
        assert delivered >= 3, report  # the enquiries really went through the whole loop
        assert not leaks, report
        assert not long_lines, report


async def hostile_with_personal_data(
    client: httpx.AsyncClient, service: ServiceProcess, reply_url: str
) -> dict[str, int]:
    """Requests that carry personal data or secrets where the service must not log them."""
    answers: dict[str, int] = {}
    event: dict[str, object] = {
        "type": "app_mention",
        "user": "U1",
        "text": PERSONAL,
        "channel": "C1",
        "ts": "1.2",
    }
    forged_event = event_callback_body(event, "EvFault1")
    forged_click = block_actions_body("draft.approve", PERSONAL, user_id=EMAIL)
    for name, body in [("forged Slack event", forged_event), ("forged Slack click", forged_click)]:
        headers = sign_slack_request("not-the-signing-secret", body)
        response = await client.post(f"{service.url}{SLACK_PATH}", content=body, headers=headers)
        answers[name] = response.status_code
    query = urlencode(
        {"hub.mode": "subscribe", "hub.challenge": "4711", "hub.verify_token": META_VERIFY_TOKEN}
    )
    answers["Meta verification GET"] = (
        await client.get(f"{service.url}/webhooks/meta?{query}")
    ).status_code
    wrong = urlencode({"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": EMAIL})
    answers["Meta verification GET, wrong token"] = (
        await client.get(f"{service.url}/webhooks/meta?{wrong}")
    ).status_code
    messenger = {
        "object": "page",
        "entry": [
            {
                "id": "P1",
                "messaging": [
                    {"sender": {"id": "U-fault"}, "message": {"mid": "m_fault", "text": PERSONAL}}
                ],
            }
        ],
    }
    body = json.dumps(messenger).encode()
    response = await client.post(
        f"{service.url}/webhooks/meta", content=body, headers=sign_meta_body(META_APP_SECRET, body)
    )
    answers["signed Meta message"] = response.status_code
    for name, text, name_field, url in [
        ("enquiry with NUL", f"NUL\x00 {PERSONAL}", f"Lena\x00 {EMAIL}", reply_url),
        ("enquiry refused (bad reply_url)", PERSONAL, EMAIL, f"mailto:{EMAIL}"),
        # Anything that logs this body exceeds the line limit, and carries the data.
        ("enquiry of 900 KB", "Paket " * 150_000 + PERSONAL, "Lena", reply_url),
    ]:
        enquiry = generic_enquiry(f"pd-{name[:12]}-{time.time_ns()}", text, url, EMAIL, name_field)
        answers[name] = (
            await deliver(client, [service.url], GENERIC_PATH, enquiry, give_up_after=5)
        ).status
    return answers
