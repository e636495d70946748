"""ReplyDesk: drafts personal replies to social-media enquiries for human review."""

__version__ = "0.1.0"
