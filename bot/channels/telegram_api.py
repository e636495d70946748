"""What the Telegram modules share about the Bot API: where it is, how long it asks to wait."""

from __future__ import annotations

import datetime as dt
import warnings

from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning


def api_base_urls(api_url: str | None) -> tuple[str, str] | None:
    """PTB's base_url and base_file_url for a Bot API server other than Telegram's."""
    if not api_url:
        return None
    root = api_url.rstrip("/")
    return f"{root}/bot", f"{root}/file/bot"


def retry_after_seconds(exc: RetryAfter) -> float:
    """How long Telegram asks us to wait, in seconds (PTB gives int or timedelta)."""
    with warnings.catch_warnings():
        # Without PTB_TIMEDELTA, PTB 22 returns int seconds and warns; both forms are fine.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
    return max(seconds, 0.0)
