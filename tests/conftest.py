"""Shared test fixtures: a clean environment, no network beyond loopback, real stores."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from bot.faq.embedders import UseEmbedder
from bot.faq.opening import OpenedKnowledge
from bot.resources import SAMPLE_KNOWLEDGE_DIR
from bot.settings import Settings
from bot.wiring import open_knowledge

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
    # PTB 22 warns (an error under filterwarnings) unless durations are timedeltas.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection that leaves the machine, like PTB's OfflineRequest."""
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in _LOOPBACK:
            raise OSError(f"test tried to reach the network: {address!r}")
        real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


FIXTURE_KNOWLEDGE = Path(__file__).parent / "fixtures" / "knowledge"


@pytest.fixture(scope="session")
def use_embedder() -> UseEmbedder:
    """The real multilingual model, loaded once per test session."""
    return UseEmbedder()


@pytest.fixture(scope="session")
def fixture_knowledge(
    tmp_path_factory: pytest.TempPathFactory, use_embedder: UseEmbedder
) -> OpenedKnowledge:
    """The small test knowledge folder, indexed for real into an embedded Chroma."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"))
    return open_knowledge(settings, FIXTURE_KNOWLEDGE, embedder=use_embedder)


@pytest.fixture(scope="session")
def sample_knowledge(
    tmp_path_factory: pytest.TempPathFactory, use_embedder: UseEmbedder
) -> OpenedKnowledge:
    """The shipped sample knowledge (Nordlicht Home), indexed for real."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("sample-data"))
    return open_knowledge(settings, SAMPLE_KNOWLEDGE_DIR, embedder=use_embedder)
