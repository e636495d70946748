"""The service's logging: one handler that keeps secrets, personal data and bulk out of logs.

`replydesk serve` logs through a single root handler, and uvicorn runs with
`log_config=None` so its access and error logs reach that handler too instead of
uvicorn's own: one format for all, plain text lines or JSON lines (`LOG_FORMAT`, with
python-json-logger). The handler's filter formats each record once, then:

- cuts URL query strings and user:password parts (verify tokens, reply-URL keys);
- masks known token shapes (Slack, Telegram, OpenAI-style keys);
- masks e-mail addresses, phone numbers and IBANs, as a safety net behind our rule of
  logging ids, not bodies (other libraries do log bodies);
- caps the message at `MAX_LINE_BYTES`.

Tracebacks stay, because failures must be debuggable, but they pass through the same
masks and only their last kilobyte is kept (the exception and the innermost frames);
the formatter then caps the whole record, traceback included, at `MAX_LINE_BYTES`.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

MAX_LINE_BYTES = 2048
TRUNCATED = "… [truncated]"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_HANDLER_NAME = "replydesk-service"
_TRACEBACK_BYTES = 1024
# Masking a 100 kB message costs more than it is worth: everything past this is cut anyway.
_SCAN_CHARS = 4 * MAX_LINE_BYTES
_TRACEBACKS = logging.Formatter()

# The query (and fragment) of a URL, or of a bare path as in uvicorn's access log.
_QUERY = re.compile(r"""(?P<keep>(?:\b[a-z][a-z0-9+.-]*://|/)[^\s?#"'<>]*)\?[^\s"<>]+""", re.I)
_USERINFO = re.compile(r"(?P<keep>\b[a-z][a-z0-9+.-]*://)[^\s/?#@\"'<>]+@", re.I)
_TOKEN = re.compile(
    r"\b(?:xox[a-z]|xapp)-[A-Za-z0-9-]{8,}"  # Slack
    r"|(?<!\d)\d{6,12}:[A-Za-z0-9_-]{30,}"  # Telegram bot token, also inside /bot<token>/
    r"|\bsk-[A-Za-z0-9_-]{16,}"  # OpenAI-style API keys
)
# The HTML living standard's e-mail syntax, minus its rarely used quoting.
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# Country, check digits, then the BBAN (11-30 characters) plain or in groups of four.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b", re.I)
# International (+49 …), with a trunk prefix (0170 …, 0049 …, (030) …) or North American
# ((555) 123-4567); never inside a word or number, so ids, dates (2024-05-01, 01.05.2024),
# times and versions stay.
_PHONE = re.compile(
    r"(?<![\w+./-])"
    r"(?:(?:\+\d{1,4}|\(?0\d{2,5}\)?)(?:[ ./-]?(?:\(\d{1,5}\)|\d{1,5})){1,8}"
    r"|\(?[2-9]\d{2}\)?[ .-]?\d{3}[ .-]\d{4})"
    r"(?!\w)"
)
_PHONE_DIGITS = 7


# Libraries that log chatter of their own at INFO or below; only their warnings matter.
_QUIET_LIBRARIES = ("bm25s", "chromadb", "alembic.runtime.plugins")


def configure_service_logging(
    level: int | str = logging.INFO, stream: TextIO | None = None, *, json_lines: bool = False
) -> logging.Handler:
    """Send every log record through one redacting, size-capped handler on the root logger.

    Calling it again replaces the handler it installed before; other handlers stay.

    Args:
        level: The root logger's level.
        stream: Where lines go; standard error by default.
        json_lines: one JSON object per record (time, level, logger, message, exc_info)
            instead of a text line.

    Returns:
        The installed handler, so a caller (or a test) can remove it.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonLineFormatter() if json_lines else CappedFormatter(FORMAT))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    if root.level > logging.DEBUG:
        for name in _QUIET_LIBRARIES:
            logging.getLogger(name).setLevel(logging.WARNING)
    return handler


class RedactingFilter(logging.Filter):
    """Rewrite each record so that its message and traceback carry no secrets or PII."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Format the message once, mask it and cap it; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not crash the code that logs
            message = f"unformattable log message: {record.msg}"
        record.msg = cap(redact(message))
        record.args = ()
        # uvicorn keeps a second, unmasked copy of some messages for its coloured output.
        record.__dict__.pop("color_message", None)
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _keep_tail(redact(record.exc_text))
        if record.stack_info:
            record.stack_info = _keep_tail(redact(record.stack_info))
        return True


class CappedFormatter(logging.Formatter):
    """A formatter whose output, traceback included, is at most `MAX_LINE_BYTES`."""

    def format(self, record: logging.LogRecord) -> str:
        """Format as usual, then cut the text to the limit."""
        return cap(super().format(record))


class JsonLineFormatter(JsonFormatter):
    """One JSON object a record: time, level, logger, message and the masked traceback.

    The message and traceback were capped by `RedactingFilter`; the line is not cut again,
    which would break the JSON.
    """

    def __init__(self) -> None:
        super().__init__(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )

    def format(self, record: logging.LogRecord) -> str:
        """Format with the masked traceback text, never the raw exception."""
        if record.exc_info and record.exc_text:
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None})
        return super().format(record)


def redact(text: str) -> str:
    """Mask URL queries and credentials, token shapes, e-mail addresses, IBANs and phones."""
    if len(text) > _SCAN_CHARS:
        # Cut at a space, so no half e-mail address or IBAN escapes its pattern.
        words = text[:_SCAN_CHARS].rsplit(None, 1)
        text = f"{words[0] if words else ''} {TRUNCATED}"
    text = _USERINFO.sub(r"\g<keep>[redacted]@", text)
    text = _QUERY.sub(r"\g<keep>?[redacted]", text)
    text = _TOKEN.sub("[token]", text)
    text = _EMAIL.sub("[email]", text)
    text = _IBAN.sub(_mask_iban, text)
    return _PHONE.sub(_mask_phone, text)


def cap(text: str, limit: int = MAX_LINE_BYTES) -> str:
    """`text` if its UTF-8 form fits `limit` bytes, else its head ending in `TRUNCATED`."""
    if len(text) * 4 <= limit:  # no character takes more than four bytes
        return text
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    room = limit - len(TRUNCATED.encode("utf-8"))
    return raw[:room].decode("utf-8", errors="ignore") + TRUNCATED


def _keep_tail(text: str) -> str:
    """The end of a traceback: the exception itself and the innermost frames."""
    raw = text.encode("utf-8")
    if len(raw) <= _TRACEBACK_BYTES:
        return text
    return f"{TRUNCATED}\n" + raw[-_TRACEBACK_BYTES:].decode("utf-8", errors="ignore")


def _mask_iban(match: re.Match[str]) -> str:
    """Mask upper-case candidates always, others (hex ids, say) only if the checksum holds."""
    found = match.group()
    return "[iban]" if found.isupper() or _iban_checksum_holds(found) else found


def _iban_checksum_holds(candidate: str) -> bool:
    """ISO 13616's mod-97 check: move the first four characters to the end, letters to 10-35."""
    compact = candidate.replace(" ", "").upper()
    digits = "".join(str(int(char, 36)) for char in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


def _mask_phone(match: re.Match[str]) -> str:
    found = match.group()
    return "[phone]" if sum(char.isdigit() for char in found) >= _PHONE_DIGITS else found
