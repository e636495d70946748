"""Shared test fixtures: a clean environment, no network beyond loopback, real stores."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test from an environment with no ReplyDesk or provider settings."""
    prefixes = ("REPLYDESK_", "SLACK_", "TELEGRAM_", "OPENAI_", "META_", "X_", "CHROMA_", "LLM_")
    names = {"DATABASE_URL", "EMBEDDING_MODEL", "RETRIEVAL_MODE", "LANGCHAIN_TRACING_V2"}
    for key in list(os.environ):
        if key.startswith(prefixes) or key in names:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any connection that leaves the machine, like PTB's OfflineRequest."""
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in _LOOPBACK:
            raise OSError(f"test tried to reach the network: {address!r}")
        real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    yield
