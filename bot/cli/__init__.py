"""The `replydesk` command line and what it prints: console tables, JSON lines, eval, stats."""

from bot.cli.main import app, main

__all__ = ["app", "main"]
