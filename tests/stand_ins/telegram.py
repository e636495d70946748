"""Fake Telegram Bot API (``/bot<token>/<method>``) for python-telegram-bot."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from .base import RecordedCall, StandIn
from .wire import JSONObject, Reply

BOT_USER: JSONObject = {
    "id": 7000001,
    "is_bot": True,
    "first_name": "ReplyDesk",
    "username": "replydesk_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
#: Telegram rejects longer texts with "message is too long".
MAX_TEXT_LENGTH = 4096
#: getUpdates long polls at most this long, whatever timeout the client asks for.
MAX_POLL_SECONDS = 1.0

_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass(frozen=True)
class Poll:
    """One answered getUpdates call: the offset it carried and the update ids it got back.

    Attributes:
        offset: The call's offset (None when it sent none); it confirmed every update
            with a lower id.
        served: Ids of the updates in the answer, oldest first.
    """

    offset: int | None
    served: tuple[int, ...]


class TelegramError(Exception):
    """Raised inside handlers to answer with Telegram's error JSON."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


class TelegramStandIn(StandIn):
    """Bot API fake: ``ApplicationBuilder().base_url(f"{url}/bot")`` reaches it.

    Serves polling start-up (getMe, deleteWebhook, getUpdates with offsets and
    a capped long poll) and sendMessage; errors use Telegram's JSON shape,
    including ``parameters.retry_after`` on 429 so PTB raises RetryAfter.
    Every answered getUpdates call is kept as a `Poll`, so tests can see what was
    served and when it was confirmed.

    Args:
        token: When set, requests for another token get 401 Unauthorized.
    """

    json_form_values = True

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token
        self.webhook_url = ""
        self._updates: list[JSONObject] = []
        self._sent: list[JSONObject] = []
        self._polls: list[Poll] = []
        self._message_ids = itertools.count(1000)
        self._methods: dict[str, Callable[[JSONObject], object]] = {
            "getMe": lambda _: dict(BOT_USER),
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
            "sendMessage": self._send_message,
            "sendChatAction": lambda _: True,
        }

    # -- test-facing state -------------------------------------------------

    def push_update(self, update: JSONObject) -> None:
        """Queue an update for getUpdates (wakes a waiting long poll)."""
        with self._lock:
            self._updates.append(update)
            self._lock.notify_all()

    def pending_updates(self) -> list[JSONObject]:
        """Updates not yet confirmed by a later getUpdates offset."""
        with self._lock:
            return list(self._updates)

    def polls(self) -> list[Poll]:
        """Answered getUpdates calls in order (scripted failures are not answers)."""
        with self._lock:
            return list(self._polls)

    def wait_for_poll(self, check: Callable[[Poll], bool], timeout: float = 5.0) -> Poll:
        """Block until an answered getUpdates call satisfies `check`; return the first such.

        Raises:
            AssertionError: On timeout, listing the polls seen.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = next((p for p in self._polls if check(p)), None)
                remaining = deadline - time.monotonic()
                if found is not None or remaining <= 0:
                    break
                self._lock.wait(min(remaining, 0.05))
            seen = list(self._polls)
        if found is None:
            raise AssertionError(f"no matching getUpdates answer within {timeout}s; polls: {seen}")
        return found

    def sent_messages(self, chat_id: int | None = None) -> list[JSONObject]:
        """Message objects returned by sendMessage, optionally for one chat."""
        with self._lock:
            return [m for m in self._sent if chat_id is None or _chat_id(m) == chat_id]

    def reset(self) -> None:
        """Forget calls, scripts, queued updates and sent messages."""
        super().reset()
        with self._lock:
            self._updates.clear()
            self._sent.clear()
            self._polls.clear()
            self.webhook_url = ""

    # -- StandIn hooks -----------------------------------------------------

    def _api_method(self, http_method: str, path: str) -> str:
        match = _PATH.match(path)
        return match["method"] if match else path

    def _error_reply(self, api_method: str, status: int, headers: dict[str, str]) -> Reply:
        description = _DESCRIPTIONS.get(status, "Internal Server Error")
        payload: JSONObject = {"ok": False, "error_code": status}
        if status == 429:
            retry_after = int(headers.get("Retry-After", "1"))
            description = f"Too Many Requests: retry after {retry_after}"
            payload["parameters"] = {"retry_after": retry_after}
        payload["description"] = description
        return Reply(status=status, payload=payload, headers=headers)

    def _handle(self, call: RecordedCall) -> Reply:
        match = _PATH.match(call.path)
        try:
            if match is None:
                raise TelegramError(404, "Not Found")
            if self.token is not None and match["token"] != self.token:
                raise TelegramError(401, "Unauthorized")
            handler = self._methods.get(match["method"])
            if handler is None:
                raise TelegramError(404, "Not Found: method not found")
            result = handler(call.params)
        except TelegramError as exc:
            body = {"ok": False, "error_code": exc.status, "description": exc.description}
            return Reply(status=exc.status, payload=body)
        return Reply(payload={"ok": True, "result": result})

    # -- methods -------------------------------------------------------------

    def _get_updates(self, params: JSONObject) -> list[JSONObject]:
        sent_offset = params.get("offset")
        offset = int(str(sent_offset or 0))
        limit = int(str(params.get("limit") or 100))
        wait = min(float(str(params.get("timeout") or 0)), MAX_POLL_SECONDS)
        deadline = time.monotonic() + wait
        with self._lock:
            while True:
                if offset < 0:  # -N: the last N updates, confirming the older ones
                    self._updates = self._updates[offset:]
                    break
                # An offset confirms every earlier update, as on the real server.
                self._updates = [u for u in self._updates if _update_id(u) >= offset]
                remaining = deadline - time.monotonic()
                if self._updates or remaining <= 0 or not self.running:
                    break
                self._lock.wait(remaining)
            served = list(self._updates[:limit])
            recorded = None if sent_offset is None else offset
            self._polls.append(Poll(recorded, tuple(_update_id(u) for u in served)))
            self._lock.notify_all()
        return served

    def _set_webhook(self, params: JSONObject) -> bool:
        with self._lock:
            self.webhook_url = str(params.get("url") or "")
        return True

    def _delete_webhook(self, params: JSONObject) -> bool:
        with self._lock:
            self.webhook_url = ""
            if str(params.get("drop_pending_updates", "")).lower() == "true":
                self._updates.clear()
        return True

    def _webhook_info(self, params: JSONObject) -> JSONObject:
        with self._lock:
            return {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }

    def _send_message(self, params: JSONObject) -> JSONObject:
        text = str(params.get("text") or "")
        if not params.get("chat_id"):
            raise TelegramError(400, "Bad Request: chat_id is empty")
        if not text.strip():
            raise TelegramError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise TelegramError(400, "Bad Request: message is too long")
        chat = _chat(str(params["chat_id"]))
        message: JSONObject = {
            "message_id": next(self._message_ids),
            "from": dict(BOT_USER),
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        reply_to = params.get("reply_parameters")
        reply_id = (
            reply_to.get("message_id")
            if isinstance(reply_to, dict)
            else params.get("reply_to_message_id")
        )
        if reply_id is not None:
            message["reply_to_message"] = {
                "message_id": int(str(reply_id)),
                "date": 1_700_000_000,
                "chat": chat,
            }
        with self._lock:
            self._sent.append(message)
        return message


def _update_id(update: JSONObject) -> int:
    return int(str(update.get("update_id", 0)))


def _chat_id(message: JSONObject) -> int | None:
    chat = message.get("chat")
    return int(str(chat["id"])) if isinstance(chat, dict) else None


def _chat(chat_id: str) -> JSONObject:
    if chat_id.startswith("@"):
        return {
            "id": -1_000_000_000_001,
            "type": "channel",
            "username": chat_id[1:],
            "title": chat_id[1:],
        }
    numeric = int(chat_id)
    if numeric > 0:
        return {"id": numeric, "type": "private"}
    return {"id": numeric, "type": "supergroup", "title": f"group {numeric}"}


def _user(user_id: int, first_name: str, language_code: str) -> JSONObject:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": language_code,
    }


def _private_message(
    update_id: int,
    chat_id: int,
    user_id: int,
    first_name: str,
    language_code: str,
    message_id: int,
    content: JSONObject,
) -> JSONObject:
    """The update envelope of a private-chat message; `content` adds text, sticker, …"""
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "date": 1_700_000_000,
            "from": _user(user_id, first_name, language_code),
            "chat": {"id": chat_id, "type": "private", "first_name": first_name},
            **content,
        },
    }


def make_text_update(
    update_id: int,
    text: str,
    chat_id: int = 777,
    user_id: int = 42,
    first_name: str = "Anna",
    language_code: str = "de",
    message_id: int = 10,
) -> JSONObject:
    """A private-chat text message update as Telegram delivers it."""
    return _private_message(
        update_id, chat_id, user_id, first_name, language_code, message_id, {"text": text}
    )


def make_sticker_update(
    update_id: int,
    chat_id: int = 777,
    user_id: int = 42,
    first_name: str = "Anna",
    language_code: str = "de",
    message_id: int = 10,
    emoji: str = "\N{THUMBS UP SIGN}",
) -> JSONObject:
    """A private-chat sticker update: a message without text for the bot to skip."""
    sticker: JSONObject = {
        "file_id": f"CAACAgIAAxkBAAE{update_id}",
        "file_unique_id": f"AgAD{update_id}",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": emoji,
    }
    return _private_message(
        update_id, chat_id, user_id, first_name, language_code, message_id, {"sticker": sticker}
    )
