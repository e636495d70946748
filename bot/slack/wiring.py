"""Builds the Slack side of the service from settings: board, sender, Bolt app, transport.

Without SLACK_BOT_TOKEN cards go to the log (`LoggingBoard`) and nobody can approve. With
it, cards go to SLACK_REVIEW_CHANNEL and Slack reaches the app either over HTTP at
POST /slack/events (events, interactivity and shortcuts on one URL, signed with
SLACK_SIGNING_SECRET) or, when SLACK_APP_TOKEN is set, over Socket Mode (no public URL).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.errors import InputError
from bot.models import Channel
from bot.ports import BackgroundJob, ReplySender, ReviewBoard
from bot.services import Desk
from bot.settings import Settings
from bot.slack.board import SlackReviewBoard
from bot.slack.handlers import build_bolt_app
from bot.slack.interaction import BackgroundWork, SlackDesk
from bot.slack.log_board import LoggingBoard
from bot.slack.reviewers import ReviewerDirectory
from bot.slack.sender import SlackReplySender
from bot.wording import review_wording

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Members Bolt's own middleware reads without checking their type; Slack always sends them
# as objects, so a signed body with anything else there is not a Slack payload.
_OBJECT_MEMBERS = ("event", "view")
# Bolt refuses a signature older than this (replay protection).
_SIGNATURE_MAX_AGE_SECONDS = 300
DEFAULT_API_URL = "https://slack.com/api/"


class SlackMode(StrEnum):
    """How Slack reaches the app."""

    OFF = "off"  # no bot token: cards are logged
    HTTP = "http"  # Slack POSTs to /slack/events
    SOCKET = "socket"  # the app dials out to Slack (SLACK_APP_TOKEN)


@dataclass
class SlackIntegration:
    """What Slack contributes: the review board, the `slack` reply sender, routes and jobs."""

    board: ReviewBoard
    senders: dict[Channel, ReplySender] = field(default_factory=dict)
    routes: Callable[[Desk], list[BaseRoute]] = lambda desk: []
    background: Callable[[Desk], list[BackgroundJob]] = lambda desk: []
    shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    mode: SlackMode = SlackMode.OFF


def slack_mode(settings: Settings) -> SlackMode:
    """Which transport the settings ask for."""
    if settings.slack_bot_token is None:
        return SlackMode.OFF
    return SlackMode.SOCKET if settings.slack_app_token is not None else SlackMode.HTTP


def build_slack_client(settings: Settings) -> AsyncWebClient:
    """The bot's Web API client, retrying 429 (honouring Retry-After) and 500/503 once."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = AsyncWebClient(token=token, base_url=settings.slack_api_url or DEFAULT_API_URL)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    client.retry_handlers.append(AsyncServerErrorRetryHandler(max_retry_count=1))
    return client


def build_slack(settings: Settings) -> SlackIntegration:
    """Create the Slack integration, or a logging board when no bot token is set.

    Raises:
        InputError: Slack is half configured (no review channel, or HTTP mode without a
            signing secret).
        PermanentError: The reviewer wording file (`prompts/review/en.yaml`) is broken.
    """
    mode = slack_mode(settings)
    if mode is SlackMode.OFF:
        return SlackIntegration(board=LoggingBoard())
    review_wording()  # a broken wording file stops start-up, not the first card
    if not settings.slack_review_channel:
        raise InputError("SLACK_REVIEW_CHANNEL is required when SLACK_BOT_TOKEN is set")
    secret = settings.slack_signing_secret
    if mode is SlackMode.HTTP and (secret is None or not secret.get_secret_value()):
        raise InputError("SLACK_SIGNING_SECRET is required unless SLACK_APP_TOKEN is set")
    client = build_slack_client(settings)
    board = SlackReviewBoard(
        client, settings.slack_review_channel, alert_channel=settings.slack_crisis_channel
    )
    reviewers = ReviewerDirectory(client, settings.reviewer_ids(), settings.slack_reviewer_group)
    if not settings.reviewer_ids() and not settings.slack_reviewer_group:
        log.warning("no SLACK_REVIEWERS or SLACK_REVIEWER_GROUP: nobody can approve drafts")
    service = _SlackService(settings, mode, client, board, reviewers, BackgroundWork())
    return SlackIntegration(
        board=board,
        senders={Channel.SLACK: SlackReplySender(client)},
        routes=service.routes,
        background=service.background,
        shutdown=[service.work.drain],
        mode=mode,
    )


@dataclass
class _SlackService:
    """Builds the Bolt app once per desk and exposes it over HTTP or Socket Mode."""

    settings: Settings
    mode: SlackMode
    client: AsyncWebClient
    board: SlackReviewBoard
    reviewers: ReviewerDirectory
    work: BackgroundWork
    _apps: dict[int, AsyncApp] = field(default_factory=dict)

    def app(self, desk: Desk) -> AsyncApp:
        """The Bolt app serving `desk` (routes and Socket Mode share one)."""
        if id(desk) not in self._apps:
            secret = self.settings.slack_signing_secret
            slack = SlackDesk(
                desk,
                self.board,
                self.reviewers,
                self.work,
                leads=self.settings.lead_ids(),
                editors=self.settings.knowledge_editor_ids(),
                knowledge_dir=self.settings.knowledge_dir,
            )
            signing = secret.get_secret_value() if secret else ""
            self._apps[id(desk)] = build_bolt_app(self.client, signing, slack)
        return self._apps[id(desk)]

    def routes(self, desk: Desk) -> list[BaseRoute]:
        """POST /slack/events in HTTP mode; nothing in Socket Mode.

        Bolt parses a body before it checks the signature, and answers a body it cannot
        parse (not UTF-8, not JSON, a JSON array, nested too deep) or a timestamp that is
        not a number with a 500 and a traceback. So the route checks both first: unsigned →
        401, as Bolt answers; signed but unusable → 400 (Slack never sends such a body, so
        nothing resends it); the rest goes to Bolt.
        """
        if self.mode is not SlackMode.HTTP or self.settings.slack_signing_secret is None:
            return []
        app = self.app(desk)
        secret = self.settings.slack_signing_secret.get_secret_value().encode()

        async def events(request: Request) -> Response:
            body = await request.body()
            signed = _is_signed(secret, body, request.headers)
            try:
                bolt_request = to_async_bolt_request(request, body)
            except Exception as exc:  # the edge: whatever Bolt's parsing raises, we refuse
                return _refused(401 if not signed else 400, type(exc).__name__)
            if not signed and not _is_ssl_check(bolt_request):
                return _refused(401, "no valid signature")
            if (problem := _shape_problem(bolt_request.body)) is not None:
                return _refused(400, problem)
            return to_starlette_response(await app.async_dispatch(bolt_request))

        return [Route(EVENTS_PATH, events, methods=["POST"])]

    def background(self, desk: Desk) -> list[BackgroundJob]:
        """The Socket Mode connection in Socket Mode; nothing over HTTP."""
        if self.mode is not SlackMode.SOCKET or self.settings.slack_app_token is None:
            return []
        app = self.app(desk)
        app_token = self.settings.slack_app_token.get_secret_value()

        async def socket_mode(stop: asyncio.Event) -> None:
            handler = AsyncSocketModeHandler(app, app_token)
            await handler.connect_async()  # type: ignore[no-untyped-call]
            log.info("connected to Slack over Socket Mode")
            try:
                await stop.wait()
            finally:
                await handler.close_async()  # type: ignore[no-untyped-call]

        return [socket_mode]


def _is_signed(secret: bytes, body: bytes, headers: Headers) -> bool:
    """Whether Slack signed `body` within the last 5 minutes, as Bolt checks it.

    Computed on the raw bytes: slack_sdk's verifier raises on a body that is not UTF-8,
    and on a timestamp that is not a number.
    """
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and signature.isascii()):
        return False
    if abs(time.time() - int(timestamp)) > _SIGNATURE_MAX_AGE_SECONDS:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def _shape_problem(body: dict[str, object]) -> str | None:
    """What Bolt would trip over (it reads these members unchecked), or None."""
    for name in _OBJECT_MEMBERS:
        if name in body and not isinstance(body[name], dict):
            return f"{name} is not an object"
    actions = body.get("actions", [])
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        return "actions is not a list of objects"
    return None


def _is_ssl_check(request: AsyncBoltRequest) -> bool:
    """Slack's unsigned certificate check, which Bolt answers 200 before the signature."""
    return request.body.get("ssl_check") == "1"


def _refused(status: int, reason: str) -> Response:
    """Bolt's refusal for a bad signature, or ours for a body that is no Slack payload."""
    log.info("refused POST %s: %d (%s)", EVENTS_PATH, status, reason)
    error = "invalid request" if status == 401 else "body is not a Slack payload"
    return JSONResponse({"error": error}, status_code=status)
