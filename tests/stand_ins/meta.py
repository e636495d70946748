"""Fake Meta Graph API send endpoints (Messenger, Instagram, comment replies, hiding comments)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import re

from .base import RecordedCall, StandIn
from .wire import JSONObject, Reply

#: Messenger rejects longer texts with error code 100.
MAX_TEXT_LENGTH = 2000

_PATH = re.compile(
    r"^(?:/v\d+\.\d+)?/(?P<node>[^/]+)/(?P<edge>messages|comments|replies|private_replies)$"
)
# POST /{comment-id}: updates the comment node itself; we serve hiding only.
_NODE = re.compile(r"^(?:/v\d+\.\d+)?/(?P<node>[^/]+)$")
#: `api_method` of ``POST /{comment-id}`` with ``is_hidden`` (Facebook) or ``hide`` (Instagram).
HIDE_COMMENT = "hide_comment"
# The fields that hide a comment: Facebook's comment node and Instagram's IG Comment.
_HIDE_FIELDS = ("is_hidden", "hide")


class GraphError(Exception):
    """Raised inside handlers to answer with Graph's ``{"error": {...}}`` shape."""

    def __init__(
        self, message: str, code: int, status: int = 400, subcode: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: JSONObject = {"message": message, "type": "OAuthException", "code": code}
        if subcode is not None:
            self.body["error_subcode"] = subcode
        self.body["fbtrace_id"] = "AStandInTrace"


def sign_meta_body(app_secret: str, body: bytes) -> dict[str, str]:
    """Headers of a Meta webhook POST: ``X-Hub-Signature-256: sha256=<hex>``."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


class MetaGraphStandIn(StandIn):
    """Graph API fake for ``POST /{version}/{id}/messages|comments|replies|private_replies``.

    Any version prefix (``/v21.0``) or none is accepted. Requests need an access
    token (query, body or Bearer header) like the real API. `api_method` is the
    edge name: ``messages``, ``comments``, ``replies`` (Instagram comment replies) or
    ``private_replies``; ``hide_comment`` for ``POST /{comment-id}`` with ``is_hidden``
    (Facebook) or ``hide`` (Instagram) set to true or false, answered ``{"success": true}``.
    """

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)
        self._sent: list[JSONObject] = []
        self._hidden: dict[str, bool] = {}
        self._moderated: list[JSONObject] = []

    def sent(self, api_method: str | None = None) -> list[JSONObject]:
        """Accepted sends: ``{"edge", "node", "params", "id"}``, in order."""
        with self._lock:
            return [s for s in self._sent if api_method is None or s["edge"] == api_method]

    def is_hidden(self, comment_id: str) -> bool:
        """Whether the comment is hidden now (never touched: visible)."""
        with self._lock:
            return self._hidden.get(comment_id, False)

    def moderated(self) -> list[JSONObject]:
        """Accepted hide/unhide calls: ``{"node", "field", "hidden"}``, in order."""
        with self._lock:
            return list(self._moderated)

    def fail_outside_window(self, times: int = 1) -> None:
        """Make the next sends fail like a reply after Messenger's 24 h window."""
        error = GraphError(
            "(#10) This message is sent outside of allowed window.", 10, subcode=2018278
        )
        self.fail("messages", times=times, status=400, body={"error": error.body})

    def reset(self) -> None:
        """Forget calls, scripts and accepted sends."""
        super().reset()
        with self._lock:
            self._sent.clear()
            self._hidden.clear()
            self._moderated.clear()

    def _api_method(self, http_method: str, path: str) -> str:
        match = _PATH.match(path)
        if match:
            return match["edge"]
        return HIDE_COMMENT if _NODE.match(path) else path

    def _error_reply(self, api_method: str, status: int, headers: dict[str, str]) -> Reply:
        if status == 429:
            error = GraphError("(#4) Application request limit reached", 4, status)
        elif status >= 500:
            error = GraphError(
                "An unexpected error has occurred. Please retry your request later.", 2, status
            )
        else:
            error = GraphError("(#100) Invalid parameter", 100, status)
        return Reply(status=status, payload={"error": error.body}, headers=headers)

    def _handle(self, call: RecordedCall) -> Reply:
        match = _PATH.match(call.path)
        node_match = _NODE.match(call.path)
        try:
            if call.method != "POST" or (match is None and node_match is None):
                raise GraphError(f"Unsupported {call.method.lower()} request.", 100)
            if not call.params.get("access_token") and not call.headers.get("authorization"):
                raise GraphError("An active access token must be used to query information.", 2500)
            if match is None:
                comment_id = node_match["node"] if node_match else ""
                return Reply(payload=self._hide(call.params, comment_id))
            edge, node = match["edge"], match["node"]
            if edge == "messages":
                result = self._messages(call.params)
            else:
                result = self._reply(call.params, edge, node)
        except GraphError as exc:
            return Reply(status=exc.status, payload={"error": exc.body})
        sent_id = result.get("message_id") or result.get("id")
        with self._lock:
            self._sent.append({"edge": edge, "node": node, "params": call.params, "id": sent_id})
        return Reply(payload=result)

    def _hide(self, params: JSONObject, comment_id: str) -> JSONObject:
        fields = [name for name in _HIDE_FIELDS if name in params]
        if len(fields) != 1:
            raise GraphError("(#100) Invalid parameter", 100)
        hidden = _boolean(params[fields[0]])
        if hidden is None:
            raise GraphError(f"(#100) Param {fields[0]} must be a boolean", 100)
        with self._lock:
            self._hidden[comment_id] = hidden
            self._moderated.append({"node": comment_id, "field": fields[0], "hidden": hidden})
        return {"success": True}

    def _messages(self, params: JSONObject) -> JSONObject:
        recipient = params.get("recipient")
        message = params.get("message")
        if not isinstance(recipient, dict) or not (
            recipient.get("id") or recipient.get("comment_id")
        ):
            raise GraphError("(#100) The parameter recipient is required", 100)
        if not isinstance(message, dict) and not params.get("sender_action"):
            raise GraphError("(#100) The parameter message is required", 100)
        text = message.get("text") if isinstance(message, dict) else None
        if isinstance(text, str) and len(text) > MAX_TEXT_LENGTH:
            raise GraphError(
                f"(#100) Length of param message[text] must be <= {MAX_TEXT_LENGTH}", 100
            )
        message_id = f"m_standin{next(self._ids):06d}"
        # A private reply addresses a comment; the real answer names its author's id.
        recipient_id = recipient.get("id") or f"author_of_{recipient['comment_id']}"
        return {"recipient_id": str(recipient_id), "message_id": message_id}

    def _reply(self, params: JSONObject, edge: str, comment_id: str) -> JSONObject:
        if not str(params.get("message") or "").strip():
            raise GraphError("(#100) The parameter message is required", 100)
        if edge == "private_replies":
            return {"id": f"m_standin{next(self._ids):06d}"}
        return {"id": f"{comment_id}_{next(self._ids)}"}


def _boolean(value: object) -> bool | None:
    """A JSON boolean, or the form/query spelling Graph accepts ("true", "false")."""
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(str(value).lower())
