"""Telegram through python-telegram-bot: updates in by long polling or webhook, enquiries out.

- Polling (default): a background job drives getUpdates itself with PTB's `Bot` (getMe,
  deleteWebhook, then `telegram_polling.UpdatePoller`), confirming each batch only after it
  is stored, so a crash loses nothing. (PTB's `Updater` moves the offset before its
  handlers have run, so it is not used.)
- Webhook (``TELEGRAM_WEBHOOK_URL`` set): start-up calls setWebhook with the secret token;
  ``POST /webhooks/telegram`` checks ``X-Telegram-Bot-Api-Secret-Token`` in constant time
  (403 otherwise, as Telegram does), turns the JSON into an `Update` and calls `handle`. A
  failed store answers 500 (Telegram retries), anything else 200, repeats and ignored
  updates included, so Telegram stops resending.

An enquiry's external id is the update_id, so a repeat finds the first copy. Updates without
a customer message (a bare ``/start``, a bot's message) are skipped but confirmed. Non-text
messages (stickers, photos, voice, …) become enquiries of their kind with a placeholder
text, so a person decides on them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import Bot, Message, Update
from telegram.error import InvalidToken, TelegramError

from bot.channels.intake import Intake, IntakeResult
from bot.channels.telegram_api import api_base_urls
from bot.channels.telegram_polling import UpdatePoller
from bot.channels.webhooks import (
    RejectedRequest,
    accepted,
    guarded,
    parse_json_object,
    read_body,
    require_signature,
)
from bot.models import Channel, EnquiryKind, InboundMessage

log = logging.getLogger(__name__)

PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
#: How long one getUpdates call waits for updates; stopping cancels the wait.
LONG_POLL_SECONDS = 10.0
_ALLOWED_UPDATES = [Update.MESSAGE]
_MAX_START_DELAY_SECONDS = 60.0


def inbound_from_update(update: Update) -> InboundMessage | None:
    """The enquiry in a Telegram update, or None for updates that are not customer messages.

    Skipped: updates without a new message, messages from bots, and a bare command such as
    ``/start`` (Telegram sends it when someone opens the chat; it asks nothing).
    """
    message = update.message
    user = message.from_user if message else None
    if message is None or user is None or user.is_bot:
        return None
    kind, text = _content(message)
    if kind is EnquiryKind.TEXT and _is_bare_command(text):
        return None
    return InboundMessage(
        channel=Channel.TELEGRAM,
        external_id=str(update.update_id),
        text=text,
        author_id=str(user.id),
        author_name=user.first_name or None,
        language_hint=user.language_code,
        kind=kind,
        reply_target={"chat_id": str(message.chat.id), "message_id": str(message.message_id)},
    )


def _content(message: Message) -> tuple[EnquiryKind, str]:
    if message.text and message.text.strip():
        return EnquiryKind.TEXT, message.text
    caption = f" {message.caption}" if message.caption else ""
    if message.sticker is not None:
        emoji = f" {message.sticker.emoji}" if message.sticker.emoji else ""
        return EnquiryKind.STICKER, f"[sticker{emoji}]"
    if message.photo:
        return EnquiryKind.PHOTO, f"[photo]{caption}"
    if message.voice is not None or message.video_note is not None:
        return EnquiryKind.VOICE, "[voice message]"
    for name in ("audio", "document", "video", "animation", "location", "contact", "poll"):
        if getattr(message, name, None):
            return EnquiryKind.OTHER, f"[{name}]{caption}"
    return EnquiryKind.OTHER, f"[unsupported message]{caption}"


def _is_bare_command(text: str) -> bool:
    words = text.split()
    return len(words) == 1 and words[0].startswith("/")


class TelegramChannel:
    """The inbound side of Telegram: PTB's `Bot`, polling or webhook, one handler.

    Args:
        intake: Where accepted messages go.
        token: The bot token.
        api_url: Bot API server root (a stand-in in tests); Telegram's when None.
        webhook_url: Public URL of ``/webhooks/telegram``; polling when None.
        secret_token: Required with `webhook_url`; Telegram echoes it in every webhook call.
        poll_timeout: Long-poll duration of one getUpdates call, in seconds.
    """

    def __init__(
        self,
        intake: Intake,
        token: SecretStr,
        api_url: str | None = None,
        webhook_url: str | None = None,
        secret_token: SecretStr | None = None,
        poll_timeout: float = LONG_POLL_SECONDS,
    ) -> None:
        if webhook_url and not secret_token:
            raise ValueError("a Telegram webhook needs a secret token")
        self._intake = intake
        self._webhook_url = webhook_url
        self._secret_token = secret_token
        self._poll_timeout = dt.timedelta(seconds=poll_timeout)
        urls = api_base_urls(api_url)
        if urls is None:
            self._bot = Bot(token.get_secret_value())
        else:
            self._bot = Bot(token.get_secret_value(), base_url=urls[0], base_file_url=urls[1])

    @property
    def uses_webhook(self) -> bool:
        """Whether updates arrive by webhook rather than polling."""
        return bool(self._webhook_url)

    def routes(self) -> list[BaseRoute]:
        """The webhook route in webhook mode; none when polling."""
        if not self.uses_webhook:
            return []
        return [Route(PATH, guarded(self._receive), methods=["POST"])]

    async def run(self, stop: asyncio.Event) -> None:
        """Background job: poll or register the webhook until `stop`, retrying start-up."""
        delay = 1.0
        while not stop.is_set():
            try:
                await (self._serve_webhook(stop) if self.uses_webhook else self._poll(stop))
            except InvalidToken:
                # Not log.exception: PTB's message repeats the token.
                log.error("Telegram rejected the bot token; Telegram stays off")  # noqa: TRY400
                return
            except TelegramError as exc:
                name = type(exc).__name__
                log.warning("Telegram start failed (%s); retrying in %.0f s", name, delay)
            else:
                return
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
            except TimeoutError:
                delay = min(delay * 2, _MAX_START_DELAY_SECONDS)

    async def handle(self, update: Update) -> IntakeResult:
        """Take in the customer message an update carries, if any."""
        inbound = inbound_from_update(update)
        if inbound is None:
            log.info("telegram update %d ignored: not a customer message", update.update_id)
            return IntakeResult()
        return await self._intake.accept_all([inbound])

    async def _poll(self, stop: asyncio.Event) -> None:
        async with self._bot:  # initialize (getMe) … shutdown
            await self._bot.delete_webhook()
            log.info("telegram: polling for updates")
            poller = UpdatePoller(self._bot, self._store, self._poll_timeout, _ALLOWED_UPDATES)
            await poller.run_until(stop)

    async def _store(self, updates: Sequence[Update]) -> None:
        """Store every customer message of a batch; return only when all are in the database."""
        messages: list[InboundMessage] = []
        for update in updates:
            inbound = inbound_from_update(update)
            if inbound is None:  # skipped, and confirmed with the rest of the batch
                log.info("telegram update %d ignored: not a customer message", update.update_id)
            else:
                messages.append(inbound)
        if messages:
            await self._intake.accept_all(messages)

    async def _serve_webhook(self, stop: asyncio.Event) -> None:
        async with self._bot:  # initialize (getMe) … shutdown
            secret = self._secret_token.get_secret_value() if self._secret_token else None
            await self._bot.set_webhook(
                url=str(self._webhook_url), secret_token=secret, allowed_updates=_ALLOWED_UPDATES
            )
            log.info("telegram: webhook registered")
            # The webhook stays registered on shutdown: Telegram queues updates meanwhile.
            await stop.wait()

    async def _receive(self, request: Request) -> Response:
        body = await read_body(request)
        expected = self._secret_token.get_secret_value() if self._secret_token else ""
        require_signature(expected, request.headers.get(SECRET_HEADER), status=403)
        payload = parse_json_object(body)
        update_id = payload.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise RejectedRequest(400, "not a Telegram update: 'update_id' must be an integer")
        try:
            update = Update.de_json(payload, self._bot)
        except Exception as exc:  # PTB may raise anything on a malformed (yet signed) update
            raise RejectedRequest(400, "not a Telegram update") from exc
        result = await self.handle(update)
        return accepted(result.new, result.repeated)
