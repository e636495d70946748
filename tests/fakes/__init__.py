"""Fakes of ReplyDesk's own ports (never of Slack, Telegram or OpenAI clients)."""
