"""Fault and load suite: real `replydesk serve` processes killed, flooded and run side by side."""
