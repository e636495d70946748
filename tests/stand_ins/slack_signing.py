"""Build and sign inbound Slack requests (interactivity, events) for our app.

The bodies carry every field Bolt reads (see ``/work/shared/notes/wire-facts.md``),
so tests drive the real Bolt listeners through a real signature check.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from .slack_objects import BOT_ID, BOT_USER_ID, TEAM_ID
from .wire import JSONObject

API_APP_ID = "A0001"
VERIFICATION_TOKEN = "stand-in-verification-token"
TRIGGER_ID = "1111111111.2222222222.stand-in-trigger"
RESPONSE_URL = "https://hooks.slack.com/actions/T0001/1/stand-in"


def sign_slack_request(
    signing_secret: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """Headers Slack would send with `body`, signed with `signing_secret`.

    Args:
        signing_secret: The app's signing secret.
        body: The exact bytes that will be posted.
        timestamp: Unix seconds; defaults to now (Bolt rejects > 300 s skew).

    Returns:
        ``X-Slack-Signature``, ``X-Slack-Request-Timestamp`` and ``Content-Type``.
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=ts, body=body)
    if signature is None:  # slack_sdk only returns None for a missing timestamp
        raise ValueError("could not sign the request")
    is_json = body.lstrip()[:1] == b"{"
    return {
        "X-Slack-Signature": signature,
        "X-Slack-Request-Timestamp": ts,
        "Content-Type": "application/json" if is_json else "application/x-www-form-urlencoded",
    }


def block_actions_body(
    action_id: str,
    value: str,
    user_id: str = "U123",
    channel_id: str = "C_REVIEW",
    message_ts: str = "1700000000.000100",
    block_id: str = "b",
    team_id: str = TEAM_ID,
    response_url: str = RESPONSE_URL,
    message_blocks: list[object] | None = None,
) -> bytes:
    """Form body of a button click (``block_actions``) on a bot message."""
    action_ts = f"{int(time.time())}.000001"
    payload: JSONObject = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": TRIGGER_ID,
        "team": _team(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "message": {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "ts": message_ts,
            "text": "",
            "blocks": message_blocks or [],
        },
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": action_id},
                "value": value,
                "type": "button",
                "action_ts": action_ts,
            }
        ],
    }
    return _form(payload)


def view_submission_body(
    callback_id: str,
    private_metadata: str,
    values: Mapping[str, Mapping[str, str | JSONObject]],
    user_id: str = "U123",
    team_id: str = TEAM_ID,
    view_id: str = "V0000000001",
) -> bytes:
    """Form body of a modal submit (``view_submission``).

    Args:
        callback_id: The view's callback_id.
        private_metadata: The view's private_metadata string.
        values: ``{block_id: {action_id: value}}``; a str value becomes a
            ``plain_text_input`` state, a dict is used as the state as-is.
        user_id: Submitting user.
        team_id: Workspace id.
        view_id: The view's id.
    """
    state = {
        block: {
            action: ({"type": "plain_text_input", "value": v} if isinstance(v, str) else dict(v))
            for action, v in actions.items()
        }
        for block, actions in values.items()
    }
    payload: JSONObject = {
        "type": "view_submission",
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": TRIGGER_ID,
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "title": {"type": "plain_text", "text": "ReplyDesk"},
            "blocks": [],
            "state": {"values": state},
            "hash": f"{view_id}.hash",
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": API_APP_ID,
            "bot_id": BOT_ID,
        },
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }
    return _form(payload)


def message_shortcut_body(
    callback_id: str,
    channel_id: str,
    message_ts: str,
    text: str,
    user_id: str = "U123",
    message_user: str = "U456",
    team_id: str = TEAM_ID,
    response_url: str = RESPONSE_URL,
) -> bytes:
    """Form body of a message shortcut (``message_action``) on `text`."""
    payload: JSONObject = {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": f"{int(time.time())}.000001",
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "enterprise": None,
        "is_enterprise_install": False,
        "callback_id": callback_id,
        "trigger_id": TRIGGER_ID,
        "message_ts": message_ts,
        "message": {
            "type": "message",
            "user": message_user,
            "ts": message_ts,
            "text": text,
            "team": team_id,
        },
        "response_url": response_url,
    }
    return _form(payload)


def event_callback_body(event: JSONObject, event_id: str, team_id: str = TEAM_ID) -> bytes:
    """JSON body of an Events API delivery wrapping `event`."""
    payload: JSONObject = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"stand-in-{event_id}",
    }
    return json.dumps(payload).encode()


def _form(payload: JSONObject) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def _user(user_id: str, team_id: str) -> JSONObject:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def _team(team_id: str) -> JSONObject:
    return {"id": team_id, "domain": "replydesk-test"}
