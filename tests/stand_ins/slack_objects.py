"""Slack's wire objects (messages, views, users) as the Slack stand-in returns them."""

from __future__ import annotations

from dataclasses import dataclass

from .wire import JSONObject

TEAM_ID = "T0001"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_URL = "https://replydesk-test.slack.com/"
#: Slack rejects messages and views with more blocks than this (``invalid_blocks``).
MAX_BLOCKS = 50
#: Modals allow more blocks than messages.
MAX_VIEW_BLOCKS = 100


class SlackError(Exception):
    """Raised inside handlers to answer ``{"ok": false, "error": code}``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class SlackMessage:
    """Current state of a message the app posted, after any chat.update."""

    channel: str
    ts: str
    text: str
    blocks: list[object]
    thread_ts: str | None = None
    edits: int = 0
    metadata: JSONObject | None = None


def wire_message(message: SlackMessage) -> JSONObject:
    """The message object Slack returns for a stored message."""
    wire: JSONObject = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "team": TEAM_ID,
        "text": message.text,
        "blocks": message.blocks,
        "ts": message.ts,
    }
    if message.thread_ts:
        wire["thread_ts"] = message.thread_ts
    if message.edits:
        wire["edited"] = {"user": BOT_USER_ID, "ts": message.ts}
    if message.metadata is not None:
        wire["metadata"] = message.metadata
    return wire


def wire_view(view_id: str, view: JSONObject) -> JSONObject:
    """The view object Slack returns after views.open/update/push.

    Raises:
        SlackError: The view has too many blocks.
    """
    blocks = view.get("blocks") or []
    if not isinstance(blocks, list) or len(blocks) > MAX_VIEW_BLOCKS:
        raise SlackError("invalid_arguments")
    return {
        "id": view_id,
        "team_id": TEAM_ID,
        "app_id": "A0001",
        "bot_id": BOT_ID,
        "type": view.get("type", "modal"),
        "callback_id": view.get("callback_id", ""),
        "private_metadata": view.get("private_metadata", ""),
        "external_id": view.get("external_id", ""),
        "title": view.get("title"),
        "submit": view.get("submit"),
        "close": view.get("close"),
        "blocks": blocks,
        "state": {"values": {}},
        "hash": f"{view_id}.hash",
        "root_view_id": view_id,
        "previous_view_id": None,
    }


def wire_user(user_id: str, name: str, real_name: str, display_name: str) -> JSONObject:
    """The user object of users.info."""
    return {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": name,
        "real_name": real_name,
        "is_bot": False,
        "deleted": False,
        "profile": {"real_name": real_name, "display_name": display_name},
    }
