"""Fake Slack Web API (``/api/<method>``) for slack_sdk and Bolt clients."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import replace
from typing import NamedTuple

from .base import RecordedCall, StandIn
from .slack_objects import (
    BOT_ID,
    BOT_USER_ID,
    MAX_BLOCKS,
    TEAM_ID,
    TEAM_URL,
    SlackError,
    SlackMessage,
    wire_message,
    wire_user,
    wire_view,
)
from .wire import JSONObject, Reply

UPLOAD = "upload"  # a file's bytes, posted to the upload_url of files.getUploadURLExternal


class UploadedFile(NamedTuple):
    """A file shared the files_upload_v2 way: upload URL, bytes, completeUploadExternal."""

    file_id: str
    filename: str
    title: str
    channel: str  # "" when completed without a channel (a private, unshared file)
    content: bytes


class SlackStandIn(StandIn):
    """Slack Web API fake: point ``WebClient(base_url=f"{url}/api/")`` at it.

    Accepts form or JSON bodies, serves the methods ReplyDesk uses, keeps the
    posted messages so tests can read a review card's current state, and
    answers unknown methods with ``unknown_method`` as Slack does.

    Args:
        token: When set, calls with another token get ``invalid_auth``.
        channels: When set, reading any other channel's history gets ``channel_not_found``
            (the bot cannot see it).
    """

    json_form_values = True

    def __init__(self, token: str | None = None, channels: set[str] | None = None) -> None:
        super().__init__()
        self.token = token
        self.channels = channels
        self._ts = itertools.count(1)
        self._view_ids = itertools.count(1)
        self._messages: dict[tuple[str, str], SlackMessage] = {}
        self._views: dict[str, JSONObject] = {}
        self._reactions: dict[tuple[str, str], list[str]] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._users: dict[str, JSONObject] = {}
        self._homes: dict[str, JSONObject] = {}
        self._file_ids = itertools.count(1)
        self._uploads: dict[str, tuple[str, bytes | None]] = {}  # file id -> (name, bytes)
        self._files: list[UploadedFile] = []
        self._methods: dict[str, Callable[[JSONObject], JSONObject]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.getPermalink": self._permalink,
            "conversations.replies": self._replies,
            "conversations.history": self._history,
            "views.open": self._open_view,
            "views.push": self._open_view,
            "views.update": self._update_view,
            "views.publish": self._publish_view,
            "users.info": self._user_info,
            "usergroups.users.list": self._usergroup_users,
            "reactions.add": self._add_reaction,
            "conversations.open": self._open_conversation,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    # -- test-facing state -------------------------------------------------

    def set_usergroup(self, usergroup_id: str, user_ids: list[str]) -> None:
        """Define the members that ``usergroups.users.list`` returns."""
        with self._lock:
            self._usergroups[usergroup_id] = list(user_ids)

    def set_user(
        self, user_id: str, name: str, real_name: str = "", display_name: str = ""
    ) -> None:
        """Define the profile that ``users.info`` returns (others are generated)."""
        with self._lock:
            self._users[user_id] = wire_user(user_id, name, real_name or name, display_name or name)

    def message(self, channel: str, ts: str) -> SlackMessage:
        """The latest state of a posted message.

        Raises:
            KeyError: Nothing was posted at (channel, ts).
        """
        with self._lock:
            return self._messages[(channel, ts)]

    def messages(self, channel: str | None = None) -> list[SlackMessage]:
        """Posted messages in ts order, optionally for one channel."""
        with self._lock:
            found = [m for m in self._messages.values() if channel is None or m.channel == channel]
        return sorted(found, key=lambda m: float(m.ts))

    def view(self, view_id: str) -> JSONObject:
        """The latest state of an opened view."""
        with self._lock:
            return self._views[view_id]

    def home(self, user_id: str) -> JSONObject | None:
        """The App Home view last published for a user, if any."""
        with self._lock:
            return self._homes.get(user_id)

    def uploaded_files(self) -> list[UploadedFile]:
        """Files whose upload was completed, in order."""
        with self._lock:
            return list(self._files)

    def reactions(self, channel: str, ts: str) -> list[str]:
        """Reaction names added to a message, in order."""
        with self._lock:
            return list(self._reactions.get((channel, ts), []))

    def reset(self) -> None:
        """Forget calls, scripts and all stored Slack state."""
        super().reset()
        with self._lock:
            for store in (
                self._messages,
                self._views,
                self._reactions,
                self._usergroups,
                self._users,
                self._homes,
            ):
                store.clear()
            self._uploads.clear()
            self._files.clear()

    # -- StandIn hooks -----------------------------------------------------

    def _api_method(self, http_method: str, path: str) -> str:
        if path.startswith("/upload/"):
            return UPLOAD
        return path.removeprefix("/api/").strip("/")

    def _error_reply(self, api_method: str, status: int, headers: dict[str, str]) -> Reply:
        error = "ratelimited" if status == 429 else "internal_error"
        return Reply(status=status, payload={"ok": False, "error": error}, headers=headers)

    def _handle(self, call: RecordedCall) -> Reply:
        if call.api_method == UPLOAD:  # the upload URL itself authorises, as Slack's does
            return self._receive_upload(call)
        handler = self._methods.get(call.api_method)
        try:
            self._check_token(call)
            if handler is None:
                raise SlackError("unknown_method")
            with self._lock:
                payload = {"ok": True, **handler(call.params)}
        except SlackError as exc:
            payload = {"ok": False, "error": exc.code}
        return Reply(payload=payload)

    def _check_token(self, call: RecordedCall) -> None:
        auth = call.headers.get("authorization", "")
        token = (
            auth.removeprefix("Bearer ").strip()
            if auth.startswith("Bearer ")
            else call.params.get("token")
        )
        if not token:
            raise SlackError("not_authed")
        if self.token is not None and token != self.token:
            raise SlackError("invalid_auth")

    # -- methods (called with the lock held) --------------------------------

    def _next_ts(self) -> str:
        seconds, fraction = divmod(next(self._ts) * 100, 1_000_000)
        return f"{1_700_000_000 + seconds}.{fraction:06d}"

    def _auth_test(self, params: JSONObject) -> JSONObject:
        return {
            "url": TEAM_URL,
            "team": "ReplyDesk Test",
            "user": "replydesk",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _post_message(self, params: JSONObject) -> JSONObject:
        channel = _text(params, "channel")
        if not channel:
            raise SlackError("channel_not_found")
        blocks = _blocks(params)
        if not params.get("text") and not blocks and not params.get("attachments"):
            raise SlackError("no_text")
        thread_ts = _text(params, "thread_ts") or None
        metadata = params.get("metadata")
        stored = SlackMessage(
            channel,
            self._next_ts(),
            _text(params, "text"),
            blocks,
            thread_ts,
            metadata=metadata if isinstance(metadata, dict) else None,
        )
        self._messages[(channel, stored.ts)] = stored
        return {"channel": channel, "ts": stored.ts, "message": wire_message(stored)}

    def _update(self, params: JSONObject) -> JSONObject:
        key = (_text(params, "channel"), _text(params, "ts"))
        current = self._messages.get(key)
        if current is None:
            raise SlackError("message_not_found")
        updated = replace(
            current,
            text=_text(params, "text") if "text" in params else current.text,
            blocks=_blocks(params) if "blocks" in params else current.blocks,
            edits=current.edits + 1,
        )
        self._messages[key] = updated
        return {
            "channel": key[0],
            "ts": key[1],
            "text": updated.text,
            "message": wire_message(updated),
        }

    def _post_ephemeral(self, params: JSONObject) -> JSONObject:
        if not params.get("channel"):
            raise SlackError("channel_not_found")
        if not params.get("user"):
            raise SlackError("user_not_in_channel")
        _blocks(params)
        return {"message_ts": self._next_ts()}

    def _permalink(self, params: JSONObject) -> JSONObject:
        channel, ts = _text(params, "channel"), _text(params, "message_ts")
        if not channel or not ts:
            raise SlackError("message_not_found")
        return {
            "channel": channel,
            "permalink": f"{TEAM_URL}archives/{channel}/p{ts.replace('.', '')}",
        }

    def _replies(self, params: JSONObject) -> JSONObject:
        channel, ts = _text(params, "channel"), _text(params, "ts")
        thread = [
            wire_message(m)
            for m in sorted(self._messages.values(), key=lambda m: float(m.ts))
            if m.channel == channel and (m.ts == ts or m.thread_ts == ts)
        ]
        if not thread:
            raise SlackError("thread_not_found")
        return {"messages": thread, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def _history(self, params: JSONObject) -> JSONObject:
        """Top-level messages of a channel, newest first; metadata only when asked for."""
        channel = _text(params, "channel")
        if self.channels is not None and channel not in self.channels:
            raise SlackError("channel_not_found")
        limit = int(str(params.get("limit") or 100))
        with_metadata = str(params.get("include_all_metadata")).lower() in {"true", "1"}
        found = sorted(
            (m for m in self._messages.values() if m.channel == channel and not m.thread_ts),
            key=lambda m: float(m.ts),
            reverse=True,
        )[:limit]
        messages = [wire_message(m) for m in found]
        if not with_metadata:
            for message in messages:
                message.pop("metadata", None)
        return {"messages": messages, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def _open_view(self, params: JSONObject) -> JSONObject:
        view = params.get("view")
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments")
        view_id = f"V{next(self._view_ids):010d}"
        self._views[view_id] = wire_view(view_id, view)
        return {"view": self._views[view_id]}

    def _publish_view(self, params: JSONObject) -> JSONObject:
        view = params.get("view")
        user_id = _text(params, "user_id")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise SlackError("invalid_arguments")
        if not user_id:
            raise SlackError("user_not_found")
        view_id = f"V{next(self._view_ids):010d}"
        self._homes[user_id] = wire_view(view_id, view)
        return {"view": self._homes[user_id]}

    def _update_view(self, params: JSONObject) -> JSONObject:
        view = params.get("view")
        view_id = _text(params, "view_id")
        if not view_id and params.get("external_id"):
            by_external = (
                k for k, v in self._views.items() if v["external_id"] == params["external_id"]
            )
            view_id = next(by_external, "")
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments")
        if view_id not in self._views:
            raise SlackError("not_found")
        self._views[view_id] = wire_view(view_id, view)
        return {"view": self._views[view_id]}

    def _user_info(self, params: JSONObject) -> JSONObject:
        user_id = _text(params, "user")
        if not user_id:
            raise SlackError("user_not_found")
        name = user_id.lower()
        return {"user": self._users.get(user_id) or wire_user(user_id, name, name.title(), name)}

    def _usergroup_users(self, params: JSONObject) -> JSONObject:
        users = self._usergroups.get(_text(params, "usergroup"))
        if users is None:
            raise SlackError("no_such_subteam")
        return {"users": list(users)}

    def _add_reaction(self, params: JSONObject) -> JSONObject:
        key = (_text(params, "channel"), _text(params, "timestamp"))
        name = _text(params, "name")
        if not all(key) or not name:
            raise SlackError("no_item_specified")
        names = self._reactions.setdefault(key, [])
        if name in names:
            raise SlackError("already_reacted")
        names.append(name)
        return {}

    def _open_conversation(self, params: JSONObject) -> JSONObject:
        """The DM with one user (``users``); its id is stable per user."""
        users = _text(params, "users")
        if not users or "," in users:
            raise SlackError("users_list_not_supplied" if not users else "not_implemented")
        return {"channel": {"id": f"D{users.removeprefix('U')}"}}

    def _upload_url(self, params: JSONObject) -> JSONObject:
        filename, length = _text(params, "filename"), _text(params, "length")
        if not filename or not length.isdigit():
            raise SlackError("invalid_arguments")
        file_id = f"F{next(self._file_ids):010d}"
        self._uploads[file_id] = (filename, None)
        return {"upload_url": f"{self.url}/upload/v1/{file_id}", "file_id": file_id}

    def _receive_upload(self, call: RecordedCall) -> Reply:
        file_id = call.path.rsplit("/", 1)[-1]
        with self._lock:
            if file_id not in self._uploads:
                return Reply(status=404, raw=b"not found", content_type="text/plain")
            self._uploads[file_id] = (self._uploads[file_id][0], call.body)
        return Reply(raw=f"OK - {len(call.body)}".encode(), content_type="text/plain")

    def _complete_upload(self, params: JSONObject) -> JSONObject:
        files = params.get("files")  # slack_sdk sends it in the query string, as JSON text
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except ValueError:
                raise SlackError("invalid_arguments") from None
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments")
        channel = _text(params, "channel_id")
        completed: list[UploadedFile] = []
        for item in files:
            file_id = _text(item, "id") if isinstance(item, dict) else ""
            filename, content = self._uploads.get(file_id, ("", None))
            if content is None:
                raise SlackError("file_not_found")  # no upload URL issued, or no bytes sent
            title = _text(item, "title") if isinstance(item, dict) else ""
            completed.append(UploadedFile(file_id, filename, title or filename, channel, content))
        for done in completed:
            del self._uploads[done.file_id]
        self._files.extend(completed)
        return {
            "files": [{"id": f.file_id, "title": f.title, "name": f.filename} for f in completed]
        }


def _text(params: JSONObject, key: str) -> str:
    value = params.get(key)
    return "" if value is None else str(value)


def _blocks(params: JSONObject) -> list[object]:
    blocks = params.get("blocks") or []
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        raise SlackError("invalid_blocks")
    return blocks
