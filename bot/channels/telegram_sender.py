"""Sends approved replies to Telegram with sendMessage, as a reply to the customer's message.

How PTB's errors map onto the outbox (which retries, parks or asks a person):

- RetryAfter (flood control, 429) → RateLimitedError with Telegram's retry_after;
- NetworkError for an HTTP 5xx, or before the request left (connection refused, connect
  or pool timeout) → TransientError: retried with backoff;
- TimedOut or a dropped connection *after* the request was written → OutcomeUnknownError.
  Telegram's sendMessage takes no idempotency key, so a message that timed out may well
  have arrived; sending it again could answer the customer twice. A person checks instead;
- BadRequest, Forbidden (blocked by the user), InvalidToken, ChatMigrated → PermanentError.

PTB raises TimedOut for every httpx timeout and NetworkError for other transport failures;
the httpx exception it chains as ``__cause__`` tells whether the request was written.
"""

from __future__ import annotations

import httpx
from pydantic import SecretStr
from telegram import Bot, ReplyParameters
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.channels.telegram_api import api_base_urls, retry_after_seconds
from bot.errors import (
    BotError,
    OutcomeUnknownError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from bot.models import Channel, Delivery

# Telegram refuses longer messages; the guidelines' limit is far below it anyway.
MAX_MESSAGE_LENGTH = 4096
# httpx failures that happen after (part of) the request was written.
_AFTER_SENDING = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


class TelegramSender:
    """Replies on Telegram through its own PTB `Bot` (separate from the polling application).

    Args:
        token: The bot token.
        api_url: Bot API server root (a stand-in in tests); Telegram's when None.
        read_timeout: Seconds to wait for Telegram's answer once the request is sent.
        connect_timeout: Seconds to wait for a connection.
    """

    channel = Channel.TELEGRAM

    def __init__(
        self,
        token: SecretStr,
        api_url: str | None = None,
        read_timeout: float = 15.0,
        connect_timeout: float = 5.0,
    ) -> None:
        request = HTTPXRequest(
            connection_pool_size=4,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            write_timeout=read_timeout,
            pool_timeout=connect_timeout,
        )
        urls = api_base_urls(api_url)
        if urls is None:
            self._bot = Bot(token.get_secret_value(), request=request)
        else:
            self._bot = Bot(
                token.get_secret_value(), base_url=urls[0], base_file_url=urls[1], request=request
            )
        self._ready = False

    async def send(self, delivery: Delivery) -> str:
        """Send the reply to the customer's chat, quoting their message; return its id.

        Raises:
            RateLimitedError, TransientError, OutcomeUnknownError, PermanentError: see the
                module docstring.
        """
        target = delivery.reply_target
        chat = target.get("chat_id", "")
        if not chat:
            raise PermanentError("the enquiry has no Telegram chat id")
        if len(delivery.text) > MAX_MESSAGE_LENGTH:
            raise PermanentError(f"the reply is longer than Telegram's {MAX_MESSAGE_LENGTH}")
        message_id = target.get("message_id", "")
        # If the customer deleted their message, the reply still goes out, just unquoted.
        reply = (
            ReplyParameters(message_id=int(message_id), allow_sending_without_reply=True)
            if message_id.isdigit()
            else None
        )
        await self._initialize()
        try:
            sent = await self._bot.send_message(
                chat_id=_chat_id(chat), text=delivery.text, reply_parameters=reply
            )
        except TelegramError as exc:
            raise map_telegram_error(exc) from exc
        return str(sent.message_id)

    async def close(self) -> None:
        """Close the HTTP connections (at shutdown)."""
        await self._bot.shutdown()
        self._ready = False

    async def _initialize(self) -> None:
        if self._ready:
            return
        try:
            await self._bot.initialize()  # getMe: nothing is sent to the customer yet
        except InvalidToken as exc:
            raise PermanentError("Telegram rejected the bot token") from exc
        except TelegramError as exc:
            raise TransientError(f"Telegram unreachable ({type(exc).__name__})") from exc
        self._ready = True


def map_telegram_error(exc: TelegramError) -> BotError:
    """The outbox error for a PTB error raised by sendMessage (see the module docstring)."""
    name = type(exc).__name__
    if isinstance(exc, RetryAfter):
        return RateLimitedError("Telegram flood control", retry_after_seconds(exc))
    if isinstance(exc, InvalidToken):
        return PermanentError("Telegram rejected the bot token")  # PTB's text may hold it
    if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):  # BadRequest is one
        if isinstance(exc.__cause__, _AFTER_SENDING):
            return OutcomeUnknownError(
                f"Telegram did not answer ({type(exc.__cause__).__name__}); "
                "the reply may have arrived"
            )
        return TransientError(f"Telegram unavailable ({exc.message[:200]})")
    return PermanentError(f"Telegram refused the reply ({name}): {exc.message[:200]}")


def _chat_id(chat: str) -> int | str:
    # Numeric ids (negative for groups) as numbers; "@channelname" stays a string.
    return int(chat) if chat.lstrip("-").isdigit() else chat
