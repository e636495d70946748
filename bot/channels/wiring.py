"""Builds the customer channels from settings (stub until the channel adapters land)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.routing import BaseRoute

from bot.models import Channel
from bot.ports import BackgroundJob, ReplySender
from bot.services import Desk
from bot.settings import Settings


@dataclass
class ChannelIntegration:
    """What the channels contribute: reply senders, inbound routes, and background jobs."""

    senders: dict[Channel, ReplySender] = field(default_factory=dict)
    routes: list[BaseRoute] = field(default_factory=list)
    background: list[BackgroundJob] = field(default_factory=list)
    shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


def build_channels(settings: Settings, desk: Desk) -> ChannelIntegration:
    """Create the configured channels; none are configured in this stub."""
    return ChannelIntegration()
