"""The Bolt app of the review loop: every listener, and the error handler at the edge.

The app runs with `process_before_response=True`: a listener only acks and hands its work
to `BackgroundWork`, so Bolt's response (the ack, or field errors of a modal) goes back as
soon as the listener returns — well within Slack's 3 seconds — and the work runs after it
in tasks that shutdown waits for. Bolt checks every request's signature and timestamp
first; a forged, stale or unsigned request gets 401 and reaches no listener.
"""

from __future__ import annotations

import logging
import re

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.actions import register_actions
from bot.slack.crisis_actions import register_crisis
from bot.slack.forms import register_forms
from bot.slack.home import register_home
from bot.slack.intake import register_intake
from bot.slack.interaction import Body, SlackDesk, error_reference, text_at
from bot.slack.knowledge_modal import register_knowledge_modal

log = logging.getLogger(__name__)


def build_bolt_app(client: AsyncWebClient, signing_secret: str, slack: SlackDesk) -> AsyncApp:
    """Create the Bolt app with every ReplyDesk listener attached.

    Args:
        client: The bot's Web API client (with its retry handlers).
        signing_secret: The app's signing secret; requests signed otherwise get 401.
            Socket Mode requests are not signed and pass an empty secret.
        slack: The desk and the Slack pieces the listeners use.
    """
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        process_before_response=True,
        logger=bolt_logger(),
    )
    app.error(_on_error)
    register_actions(app, slack)
    register_forms(app, slack)
    register_intake(app, slack)
    register_home(app, slack)
    register_knowledge_modal(app, slack)
    register_crisis(app, slack)
    return app


def bolt_logger() -> logging.Logger:
    """The logger Bolt derives its own from: Bolt copies its filters onto each of them.

    Bolt logs a request's whole body when its signature fails, and bodies carry customers'
    messages; Bolt has no switch for that, so a filter keeps the fact and drops the body.
    """
    logger = logging.getLogger("bot.slack.bolt")
    if not any(isinstance(f, _SignatureFailureWithoutBody) for f in logger.filters):
        logger.addFilter(_SignatureFailureWithoutBody())
    return logger


class _SignatureFailureWithoutBody(logging.Filter):
    """Rewrite Bolt's "Invalid request signature detected (..., body: ...)" line."""

    _PREFIX = "Invalid request signature detected"
    _TIMESTAMP = re.compile(r"timestamp: (\d{1,12})\b")

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, minus the signature and body; the timestamp shows staleness."""
        if isinstance(record.msg, str) and record.msg.startswith(self._PREFIX):
            stamp = self._TIMESTAMP.search(record.msg)
            record.msg = (
                f"{self._PREFIX} (timestamp: {stamp[1] if stamp else '?'}; body not logged)"
            )
            record.args = ()
        return True


async def _on_error(error: Exception, body: Body) -> None:
    """Log a listener failure by ids only; Slack gets Bolt's bare 500, the person no details."""
    reference = error_reference()
    log.error(
        "slack %s failed [%s]: %s (%s)",
        text_at(body, "type") or "request",
        reference,
        type(error).__name__,
        _ids(body),
        exc_info=error,
    )


def _ids(body: Body) -> str:
    """The ids of a payload worth logging: never text, blocks or view state."""
    parts = {
        "user": text_at(body, "user", "id") or text_at(body, "event", "user"),
        "action": text_at(body, "actions", 0, "action_id"),
        "callback": text_at(body, "view", "callback_id") or text_at(body, "callback_id"),
        "event": text_at(body, "event_id"),
    }
    return " ".join(f"{key}={value}" for key, value in parts.items() if value)
