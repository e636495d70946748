"""`python -m bot` runs the `replydesk` command line."""

from bot.cli import main

main()
