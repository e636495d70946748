"""Local fake HTTP servers speaking real wire formats, for tests with real clients.

Point slack_sdk, python-telegram-bot, openai/ChatOpenAI or httpx at a stand-in's
``url``; each records every request and can script failures, delays and replies.
"""

from .base import ANY_METHOD, RecordedCall, StandIn
from .meta import MetaGraphStandIn, sign_meta_body
from .openai import OpenAIStandIn, echo_reply, embed_text
from .receiver import ReplyReceiver, sign_generic_body, verify_generic_signature
from .slack import SlackStandIn
from .slack_objects import BOT_ID, BOT_USER_ID, TEAM_ID, SlackMessage
from .slack_signing import (
    block_actions_body,
    event_callback_body,
    message_shortcut_body,
    sign_slack_request,
    view_submission_body,
)
from .telegram import BOT_USER, TelegramStandIn, make_sticker_update, make_text_update
from .wire import JSONObject, Reply, decode_body
from .x import XStandIn, sign_x_body, weighted_length, x_crc_response

__all__ = [
    "ANY_METHOD",
    "BOT_ID",
    "BOT_USER",
    "BOT_USER_ID",
    "JSONObject",
    "TEAM_ID",
    "MetaGraphStandIn",
    "OpenAIStandIn",
    "RecordedCall",
    "Reply",
    "ReplyReceiver",
    "SlackMessage",
    "SlackStandIn",
    "StandIn",
    "TelegramStandIn",
    "XStandIn",
    "block_actions_body",
    "decode_body",
    "echo_reply",
    "embed_text",
    "event_callback_body",
    "make_sticker_update",
    "make_text_update",
    "message_shortcut_body",
    "sign_generic_body",
    "sign_meta_body",
    "sign_slack_request",
    "sign_x_body",
    "verify_generic_signature",
    "view_submission_body",
    "weighted_length",
    "x_crc_response",
]
