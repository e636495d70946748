"""The hostile requests of issue 12, each with the answers that are right for it.

Oversized bodies, forged signatures, malformed JSON and strings a database may choke on;
`Hostile.send` posts one over a bare socket (`traffic.raw_request`) and `Hostile.accepts`
judges the answer: the right status class, within `ANSWER_SECONDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.fault.traffic import (
    GENERIC_PATH,
    SLACK_PATH,
    RawAnswer,
    generic_enquiry,
    raw_request,
    signed_generic,
    signed_slack,
)
from tests.stand_ins import event_callback_body

MB = 1024 * 1024
ANSWER_SECONDS = 0.100
PAUSE = 0.03  # between headers and body: a declared size is refused before any body byte
OK = frozenset({200})
REFUSED = frozenset(range(400, 500))
EITHER = OK | REFUSED
QUESTION = "Wie lange habe ich Zeit, einen Artikel zurückzuschicken?"


@dataclass(frozen=True)
class Hostile:
    """One hostile request: where it goes, how it is framed, which answers are right."""

    name: str
    path: str
    body: bytes
    allowed: frozenset[int]
    sign: Callable[[bytes], dict[str, str]] | None = None
    content_type: str = "application/json"
    body_size: int | None = None  # stream this many bytes (of `body` repeated)
    chunked: bool = False
    # A client that announces a large body and then streams it can be refused mid-upload:
    # the server closes with the rest unread, and the kernel's reset may destroy the 413
    # before the client reads it. A quick close is an acceptable refusal there.
    may_close: bool = False
    pause: float = 0.0  # between headers and body: declared sizes are refused meanwhile

    async def send(self, port: int) -> RawAnswer:
        headers = self.sign(self.body) if self.sign is not None else {}
        headers.setdefault("Content-Type", self.content_type)
        return await raw_request(
            port,
            "POST",
            self.path,
            headers,
            self.body,
            body_size=self.body_size,
            chunked=self.chunked,
            pause=self.pause,
        )

    def accepts(self, answer: RawAnswer) -> bool:
        """Whether `answer` is right and in time."""
        status_ok = answer.status in self.allowed or (self.may_close and answer.status is None)
        return status_ok and answer.seconds < ANSWER_SECONDS


def forged(body: bytes) -> dict[str, str]:
    return signed_slack(body, secret="not-the-signing-secret")


def hostile_requests(run: str, reply_url: str) -> list[Hostile]:
    """The requests of issue 12, each with the answers that are acceptable."""
    event: dict[str, object] = {
        "type": "app_mention",
        "user": "U1",
        "text": "hi",
        "channel": "C1",
        "ts": "1.2",
    }
    enquiry = generic_enquiry  # (id, text, reply_url, author id, author name)
    form_payload = b"payload=" + b"%7B%22a%22%3A" * (1_500_000 // 13)
    return [
        Hostile(
            "forged Slack signature", SLACK_PATH, event_callback_body(event, "Ev1"), REFUSED, forged
        ),
        Hostile(
            "100 MB unsigned body to /slack/events",
            SLACK_PATH,
            b"{",
            REFUSED,
            body_size=100 * MB,
            pause=PAUSE,
        ),
        Hostile(
            "100 MB unsigned body to /slack/events, streamed at once",
            SLACK_PATH,
            b"{",
            REFUSED,
            body_size=100 * MB,
            may_close=True,
        ),
        Hostile(
            "12 MB body to /slack/events", SLACK_PATH, b"{", REFUSED, body_size=12 * MB, pause=PAUSE
        ),
        Hostile(
            "12 MB chunked body (no Content-Length) to /slack/events",
            SLACK_PATH,
            b"{",
            REFUSED,
            body_size=12 * MB,
            chunked=True,
            may_close=True,
        ),
        Hostile(
            "12 MB signed body to /webhooks/generic",
            GENERIC_PATH,
            b" " * (12 * MB),
            REFUSED,
            signed_generic,
            pause=PAUSE,
        ),
        Hostile(
            "1.5 MB signed form to /slack/events",
            SLACK_PATH,
            form_payload,
            REFUSED,
            signed_slack,
            content_type="application/x-www-form-urlencoded",
            pause=PAUSE,
        ),
        Hostile(
            "signed non-JSON to /slack/events",
            SLACK_PATH,
            b"this is {not json",
            REFUSED,
            signed_slack,
        ),
        Hostile(
            "signed JSON array to /slack/events", SLACK_PATH, b"[1, 2, 3]", REFUSED, signed_slack
        ),
        Hostile(
            "signed deeply nested JSON to /slack/events",
            SLACK_PATH,
            b"[" * 100_000 + b"]" * 100_000,
            REFUSED,
            signed_slack,
        ),
        Hostile(
            "signed deeply nested JSON to /webhooks/generic",
            GENERIC_PATH,
            b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
            REFUSED,
            signed_generic,
        ),
        Hostile(
            "signed enquiry with NUL in text and author name",
            GENERIC_PATH,
            enquiry(f"nul-{run}", f"Hallo\x00 Welt [{run}-nul]", reply_url, "nul-1", "An\x00na"),
            EITHER,
            signed_generic,
        ),
        Hostile(
            "signed enquiry with a lone surrogate",
            GENERIC_PATH,
            (
                b'{"id": "sur-'
                + run.encode()
                + b'", "text": "Hallo \\ud800 Welt ['
                + run.encode()
                + b'-sur]", "author": {"id": "sur-1", "name": "\\udfff"}, "reply_url": "'
                + reply_url.encode()
                + b'"}'
            ),
            EITHER,
            signed_generic,
        ),
        Hostile(
            "signed enquiry with a 400-char message id",
            GENERIC_PATH,
            enquiry("9" * 400, f"{QUESTION} [{run}-long]", reply_url, "long-1"),
            EITHER,
            signed_generic,
        ),
    ]
