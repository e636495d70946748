"""Where the files that ship with ReplyDesk live: sample knowledge, prompts, sample enquiries.

In a source checkout they sit beside the package; in a wheel they are copied into it.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    checkout = _PACKAGE_DIR.parent / name
    return checkout if checkout.is_dir() else _PACKAGE_DIR / "_shipped" / name


SAMPLE_KNOWLEDGE_DIR = _shipped("knowledge")
PROMPTS_DIR = _shipped("prompts")
SAMPLE_ENQUIRIES = _PACKAGE_DIR / "samples" / "enquiries.jsonl"
