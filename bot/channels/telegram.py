"""Telegram through python-telegram-bot: updates in by long polling or webhook, enquiries out.

- Polling (default): a background job runs PTB's `Application` and `Updater` (getMe,
  deleteWebhook, getUpdates); each message update goes through `TelegramChannel.handle`.
- Webhook (``TELEGRAM_WEBHOOK_URL`` set): start-up calls setWebhook with the secret token;
  ``POST /webhooks/telegram`` checks ``X-Telegram-Bot-Api-Secret-Token`` in constant time
  (403 otherwise, as Telegram's own servers expect), turns the JSON into an `Update` with
  `Update.de_json` and calls the same `handle`.

The webhook route calls `handle` itself instead of `Application.process_update`: PTB hands
handler errors to error handlers and returns normally, so the route could not tell Telegram
"not stored, send it again". Now a failed store answers 500 (Telegram retries) and anything
else 200, including repeats and updates we ignore, so Telegram stops resending.

An enquiry's external id is the update_id: Telegram resends an unconfirmed update with the
same id, so a repeat finds the first copy. Non-text messages (stickers, photos, voice, …)
become enquiries of their kind with a placeholder text, so a person decides on them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import Message, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.channels.intake import Intake, IntakeResult
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
_ALLOWED_UPDATES = [Update.MESSAGE]
_MAX_START_DELAY_SECONDS = 60.0


def api_base_urls(api_url: str | None) -> tuple[str, str] | None:
    """PTB's base_url and base_file_url for a Bot API server other than Telegram's."""
    if not api_url:
        return None
    root = api_url.rstrip("/")
    return f"{root}/bot", f"{root}/file/bot"


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
    """The inbound side of Telegram: PTB application, polling or webhook, one handler.

    Args:
        intake: Where accepted messages go.
        token: The bot token.
        api_url: Bot API server root (a stand-in in tests); Telegram's when None.
        webhook_url: Public URL of ``/webhooks/telegram``; polling when None.
        secret_token: Required with `webhook_url`; Telegram echoes it in every webhook call.
        poll_timeout: Long-poll duration of getUpdates, in seconds.
    """

    def __init__(
        self,
        intake: Intake,
        token: SecretStr,
        api_url: str | None = None,
        webhook_url: str | None = None,
        secret_token: SecretStr | None = None,
        poll_timeout: float = 10.0,
    ) -> None:
        if webhook_url and not secret_token:
            raise ValueError("a Telegram webhook needs a secret token")
        self._intake = intake
        self._webhook_url = webhook_url
        self._secret_token = secret_token
        self._poll_timeout = poll_timeout
        builder = ApplicationBuilder().token(token.get_secret_value())
        urls = api_base_urls(api_url)
        if urls is not None:
            builder = builder.base_url(urls[0]).base_file_url(urls[1])
        if webhook_url:
            builder = builder.updater(None)
        self._application = builder.build()
        self._application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, self._on_message))
        self._application.add_error_handler(self._on_error)

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
        async with self._application:  # initialize (getMe) … shutdown
            updater = self._application.updater
            if updater is None:
                raise RuntimeError("polling needs PTB's updater")
            await updater.start_polling(
                timeout=dt.timedelta(seconds=self._poll_timeout),
                allowed_updates=_ALLOWED_UPDATES,
                error_callback=_on_polling_error,
            )
            await self._application.start()
            log.info("telegram: polling for updates")
            try:
                await stop.wait()
            finally:
                await updater.stop()
                await self._application.stop()

    async def _serve_webhook(self, stop: asyncio.Event) -> None:
        async with self._application:
            secret = self._secret_token.get_secret_value() if self._secret_token else None
            await self._application.bot.set_webhook(
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
            update = Update.de_json(payload, self._application.bot)
        except Exception as exc:  # PTB may raise anything on a malformed (yet signed) update
            raise RejectedRequest(400, "not a Telegram update") from exc
        result = await self.handle(update)
        return accepted(result.new, result.repeated)

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.handle(update)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Never the exception text: database errors quote the customer's message.
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("telegram update %s failed: %s", update_id, type(context.error).__name__)


def _on_polling_error(error: TelegramError) -> None:
    # PTB retries getUpdates by itself; note the outage without the (token-bearing) details.
    log.warning("telegram polling: %s", type(error).__name__)
