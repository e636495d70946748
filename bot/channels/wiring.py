"""Builds the customer channels from settings: inbound routes, reply senders, moderators, jobs.

Each channel is switched on by its own settings, in and out separately:

=================  ==========================================  ===========================
channel            inbound (route or job)                      replies (sender)
=================  ==========================================  ===========================
Telegram           TELEGRAM_BOT_TOKEN: polling job, or the     TELEGRAM_BOT_TOKEN
                   webhook route with TELEGRAM_WEBHOOK_URL
                   (+ TELEGRAM_SECRET_TOKEN, required)
generic webhook    WEBHOOK_SECRET                              WEBHOOK_SECRET
Facebook/Instagram META_APP_SECRET (+ META_VERIFY_TOKEN)       META_PAGE_TOKEN
X                  X_CONSUMER_SECRET                           X_BEARER_TOKEN
=================  ==========================================  ===========================

The reply token also hides posts (`bot.channels.moderation`): Facebook and Instagram
comments with META_PAGE_TOKEN, replies on X with X_BEARER_TOKEN.

Nothing here does I/O: connections open in the background jobs and on the first send.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from starlette.routing import BaseRoute

from bot.channels.generic import GenericSender, GenericWebhook
from bot.channels.intake import Intake
from bot.channels.meta import MetaWebhook
from bot.channels.meta_sender import MetaSender
from bot.channels.moderation import MetaModerator, XModerator
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_sender import TelegramSender
from bot.channels.x import XWebhook
from bot.channels.x_sender import XSender
from bot.errors import InputError
from bot.models import Channel
from bot.ports import BackgroundJob, PostModerator, ReplySender
from bot.services import Desk
from bot.settings import Settings

# Senders wait this long for an answer; a timeout after sending is "outcome unknown".
_HTTP_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@dataclass
class ChannelIntegration:
    """What the channels contribute: reply senders, moderators, inbound routes, background jobs."""

    senders: dict[Channel, ReplySender] = field(default_factory=dict)
    moderators: dict[Channel, PostModerator] = field(default_factory=dict)
    routes: list[BaseRoute] = field(default_factory=list)
    background: list[BackgroundJob] = field(default_factory=list)
    shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


def build_channels(settings: Settings, desk: Desk) -> ChannelIntegration:
    """Create the configured channels and hand their moderators to `desk.moderators`.

    Raises:
        InputError: TELEGRAM_WEBHOOK_URL is set without TELEGRAM_SECRET_TOKEN (anyone could
            post updates to an unauthenticated webhook).
    """
    integration = ChannelIntegration()
    intake = Intake(desk)
    _add_telegram(settings, intake, integration)
    client: httpx.AsyncClient | None = None

    def http() -> httpx.AsyncClient:
        nonlocal client
        if client is None:
            client = httpx.AsyncClient(timeout=_HTTP_TIMEOUT, follow_redirects=False)
            integration.shutdown.append(client.aclose)
        return client

    if settings.webhook_secret is not None:
        integration.routes += GenericWebhook(intake, settings.webhook_secret).routes()
        integration.senders[Channel.WEBHOOK] = GenericSender(http(), settings.webhook_secret)
    if settings.meta_app_secret is not None:
        meta = MetaWebhook(intake, settings.meta_app_secret, settings.meta_verify_token)
        integration.routes += meta.routes()
    if settings.meta_page_token is not None:
        for channel in (Channel.FACEBOOK, Channel.INSTAGRAM):
            integration.senders[channel] = MetaSender(
                channel, http(), settings.meta_graph_url, settings.meta_page_token
            )
            integration.moderators[channel] = MetaModerator(
                channel, http(), settings.meta_graph_url, settings.meta_page_token
            )
    if settings.x_consumer_secret is not None:
        integration.routes += XWebhook(intake, settings.x_consumer_secret).routes()
    if settings.x_bearer_token is not None:
        x_sender = XSender(http(), settings.x_api_url, settings.x_bearer_token)
        integration.senders[Channel.X] = x_sender
        integration.moderators[Channel.X] = XModerator(
            http(), settings.x_api_url, settings.x_bearer_token
        )
    # The desk exists before the channels (their intake needs it); the Hide action reads
    # the moderators from it.
    desk.moderators = integration.moderators
    return integration


def _add_telegram(settings: Settings, intake: Intake, integration: ChannelIntegration) -> None:
    token = settings.telegram_bot_token
    if token is None:
        return
    if settings.telegram_webhook_url and settings.telegram_secret_token is None:
        raise InputError("TELEGRAM_WEBHOOK_URL needs TELEGRAM_SECRET_TOKEN")
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    httpx_log = logging.getLogger("httpx")
    if httpx_log.getEffectiveLevel() < logging.WARNING:
        httpx_log.setLevel(logging.WARNING)
    channel = TelegramChannel(
        intake,
        token,
        api_url=settings.telegram_api_url,
        webhook_url=settings.telegram_webhook_url,
        secret_token=settings.telegram_secret_token,
    )
    sender = TelegramSender(token, api_url=settings.telegram_api_url)
    integration.routes += channel.routes()
    integration.background.append(channel.run)
    integration.senders[Channel.TELEGRAM] = sender
    integration.shutdown.append(sender.close)
