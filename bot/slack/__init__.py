"""Slack: the review board (cards), the interactive review handlers, and thread replies.

The rest of ReplyDesk reaches Slack through `build_slack`, which returns the board, the
`slack` reply sender, the HTTP route or Socket Mode job, and what to close at shutdown.
"""

from bot.slack.wiring import SlackIntegration, SlackMode, build_slack

__all__ = ["SlackIntegration", "SlackMode", "build_slack"]
