"""The one typed settings object; the only place that reads the environment.

Every option is documented in `.env.example`. Build it once in the CLI and pass it on.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.resources import SAMPLE_KNOWLEDGE_DIR


class EmbeddingModel(StrEnum):
    """Dense models ReplyDesk can embed with; see benchmarks/retrieval.py for the figures."""

    USE = "use-multilingual-v3"  # fast (about 1 ms a query), best across languages
    E5 = "multilingual-e5-small"  # stronger within one language, about 10x slower
    HASHING = "hashing"  # deterministic, no model: unit tests only


class RetrievalMode(StrEnum):
    """Which signals rank FAQ entries."""

    HYBRID = "hybrid"
    DENSE = "dense"
    LEXICAL = "lexical"


class LlmProvider(StrEnum):
    """Who writes the drafts."""

    OFFLINE = "offline"
    OPENAI = "openai"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """ReplyDesk configuration, read from the environment and an optional `.env` file."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(Path(".replydesk"), validation_alias=_env("REPLYDESK_DATA_DIR"))
    knowledge_dir: Path = Field(
        SAMPLE_KNOWLEDGE_DIR, validation_alias=_env("REPLYDESK_KNOWLEDGE_DIR")
    )
    database_url: str | None = Field(None, validation_alias=_env("DATABASE_URL"))

    chroma_host: str | None = Field(None, validation_alias=_env("CHROMA_HOST"))
    chroma_port: int = Field(8000, validation_alias=_env("CHROMA_PORT"))

    embedding_model: EmbeddingModel = Field(
        EmbeddingModel.USE, validation_alias=_env("EMBEDDING_MODEL")
    )
    retrieval_mode: RetrievalMode = Field(
        RetrievalMode.HYBRID, validation_alias=_env("RETRIEVAL_MODE")
    )
    lexical_weight: float = Field(0.25, ge=0.0, le=2.0, validation_alias=_env("LEXICAL_WEIGHT"))
    answer_threshold: float = Field(0.5, ge=0.0, le=1.0, validation_alias=_env("ANSWER_THRESHOLD"))

    llm_provider: LlmProvider = Field(LlmProvider.OFFLINE, validation_alias=_env("LLM_PROVIDER"))
    openai_api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=_env("OPENAI_BASE_URL"))
    openai_model: str = Field("gpt-4o-mini", validation_alias=_env("OPENAI_MODEL"))

    def resolved_database_url(self) -> str:
        """Return DATABASE_URL, or a SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'replydesk.sqlite3').as_posix()}"
