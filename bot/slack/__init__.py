"""Slack: the review board (cards), the interactive review handlers, and thread replies."""
