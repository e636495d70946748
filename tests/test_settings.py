"""The one settings object: defaults that run offline, and every option documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import AliasChoices

from bot.models import EmbeddingModel, RetrievalMode
from bot.settings import LlmProvider, Settings

ENV_EXAMPLE = Path(__file__).parents[1] / ".env.example"


class TestSettings:
    def test_defaults_need_no_keys_and_run_offline(self) -> None:
        settings = Settings(_env_file=None)

        assert settings.llm_provider is LlmProvider.OFFLINE
        assert settings.embedding_model is EmbeddingModel.USE
        assert settings.resolved_retrieval_mode() is RetrievalMode.FUSED
        assert settings.resolved_database_url().startswith("sqlite+aiosqlite:///")
        assert settings.slack_bot_token is None and settings.chroma_host is None

    def test_environment_variables_set_the_options(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
        monkeypatch.setenv("SLACK_REVIEWERS", "U1, U2,")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")

        settings = Settings(_env_file=None)

        assert settings.resolved_database_url() == "postgresql+psycopg://u@h/db"
        assert settings.reviewer_ids() == frozenset({"U1", "U2"})
        assert "sk-test" not in repr(settings)

    def test_every_option_is_documented_in_env_example(self) -> None:
        documented = set(
            re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.M)
        )
        options = set()
        for field in Settings.model_fields.values():
            alias = field.validation_alias
            assert isinstance(alias, AliasChoices)
            options.add(str(alias.choices[0]))

        assert options - documented == set()
