"""The one typed settings object; the only place that reads the environment.

Every option is documented in `.env.example`. Build it once in the CLI and pass it on.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import InputError, PermanentError
from bot.models import EmbeddingModel, LlmOutageMode, RetrievalMode, ServiceRole
from bot.resources import SAMPLE_KNOWLEDGE_DIR


class EmbeddingsProvider(StrEnum):
    """Where embeddings come from: the embedded model, or an OpenAI-compatible server."""

    OFFLINE = "offline"
    OPENAI = "openai"


class LlmProvider(StrEnum):
    """Who writes the drafts."""

    OFFLINE = "offline"
    OPENAI = "openai"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class LogLevel(StrEnum):
    """How much `replydesk serve` logs."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class LogFormat(StrEnum):
    """How `replydesk serve` writes log lines."""

    TEXT = "text"  # one readable line per record
    JSON = "json"  # one JSON object per line, for a log collector


# URL schemes people write, and the driver ReplyDesk talks to that database with.
_DATABASE_DRIVERS = {
    "postgresql+psycopg": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "sqlite": "sqlite+aiosqlite",
}
_DATABASE_URL_HELP = (
    "expected postgresql://user@host:5432/database or sqlite:///path/to/file.sqlite3"
)


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
    # How long `replydesk serve` waits for the database and a Chroma server at start.
    startup_wait_seconds: float = Field(
        60.0, ge=0, le=3600, validation_alias=_env("STARTUP_WAIT_SECONDS")
    )

    chroma_host: str | None = Field(None, validation_alias=_env("CHROMA_HOST"))
    chroma_port: int = Field(8000, validation_alias=_env("CHROMA_PORT"))

    embedding_model: EmbeddingModel = Field(
        EmbeddingModel.USE, validation_alias=_env("EMBEDDING_MODEL")
    )
    # None: fused with the local models, hybrid with an embeddings server.
    retrieval_mode: RetrievalMode | None = Field(None, validation_alias=_env("RETRIEVAL_MODE"))
    lexical_weight: float | None = Field(
        None, ge=0.0, le=2.0, validation_alias=_env("LEXICAL_WEIGHT")
    )
    # None: the retriever's own (fitted for the fused mode, 0.3 for the others).
    answer_threshold: float | None = Field(
        None, ge=0.0, le=1.0, validation_alias=_env("ANSWER_THRESHOLD")
    )

    llm_provider: LlmProvider = Field(LlmProvider.OFFLINE, validation_alias=_env("LLM_PROVIDER"))
    openai_api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=_env("OPENAI_BASE_URL"))
    openai_model: str = Field("gpt-4o-mini", validation_alias=_env("OPENAI_MODEL"))
    llm_timeout_seconds: float = Field(30.0, gt=0, validation_alias=_env("LLM_TIMEOUT_SECONDS"))
    llm_max_retries: int = Field(2, ge=0, le=10, validation_alias=_env("LLM_MAX_RETRIES"))
    llm_max_concurrency: int = Field(4, ge=1, le=64, validation_alias=_env("LLM_MAX_CONCURRENCY"))
    llm_outage_mode: LlmOutageMode = Field(
        LlmOutageMode.DELAY, validation_alias=_env("LLM_OUTAGE_MODE")
    )
    embeddings_provider: EmbeddingsProvider = Field(
        EmbeddingsProvider.OFFLINE, validation_alias=_env("EMBEDDINGS_PROVIDER")
    )
    openai_embedding_model: str = Field(
        "text-embedding-3-small", validation_alias=_env("OPENAI_EMBEDDING_MODEL")
    )

    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_review_channel: str | None = Field(None, validation_alias=_env("SLACK_REVIEW_CHANNEL"))
    slack_reviewers: str = Field("", validation_alias=_env("SLACK_REVIEWERS"))
    slack_reviewer_group: str | None = Field(None, validation_alias=_env("SLACK_REVIEWER_GROUP"))
    # Comms leads (team report on the App Home) and knowledge editors: Slack user ids.
    slack_leads: str = Field("", validation_alias=_env("SLACK_LEADS"))
    slack_knowledge_editors: str = Field("", validation_alias=_env("SLACK_KNOWLEDGE_EDITORS"))
    # Where spike alerts for the leads go (a leads' channel); the review channel when unset.
    slack_crisis_channel: str | None = Field(None, validation_alias=_env("SLACK_CRISIS_CHANNEL"))
    slack_api_url: str | None = Field(None, validation_alias=_env("SLACK_API_URL"))

    telegram_bot_token: SecretStr | None = Field(None, validation_alias=_env("TELEGRAM_BOT_TOKEN"))
    telegram_webhook_url: str | None = Field(None, validation_alias=_env("TELEGRAM_WEBHOOK_URL"))
    telegram_secret_token: SecretStr | None = Field(
        None, validation_alias=_env("TELEGRAM_SECRET_TOKEN")
    )
    telegram_api_url: str | None = Field(None, validation_alias=_env("TELEGRAM_API_URL"))

    webhook_secret: SecretStr | None = Field(None, validation_alias=_env("WEBHOOK_SECRET"))
    meta_app_secret: SecretStr | None = Field(None, validation_alias=_env("META_APP_SECRET"))
    meta_verify_token: SecretStr | None = Field(None, validation_alias=_env("META_VERIFY_TOKEN"))
    meta_page_token: SecretStr | None = Field(None, validation_alias=_env("META_PAGE_TOKEN"))
    meta_graph_url: str = Field(
        "https://graph.facebook.com/v21.0", validation_alias=_env("META_GRAPH_URL")
    )
    x_consumer_secret: SecretStr | None = Field(None, validation_alias=_env("X_CONSUMER_SECRET"))
    x_bearer_token: SecretStr | None = Field(None, validation_alias=_env("X_BEARER_TOKEN"))
    x_api_url: str = Field("https://api.x.com", validation_alias=_env("X_API_URL"))

    conversation_window_seconds: float = Field(
        30.0, ge=0, validation_alias=_env("CONVERSATION_WINDOW_SECONDS")
    )
    delivery_max_attempts: int = Field(
        6, ge=1, le=50, validation_alias=_env("DELIVERY_MAX_ATTEMPTS")
    )
    # Triage labels whose drafts need a lead's approval besides a reviewer's (comma-separated;
    # "crisis" is every post of a topic with an open spike). Empty: one approval suffices.
    second_sign_off_labels: str = Field(
        "press,legal_threat,safety,crisis", validation_alias=_env("SECOND_SIGN_OFF_LABELS")
    )
    # Spike detection (bot/crisis/spikes.py, benchmarks/spikes.py): the window counted, how
    # improbable a count must be against the same hours of earlier weeks, the fewest posts
    # that make a spike, and how long a topic stays quiet after its spike ended. Unset: the
    # defaults measured in benchmarks/spikes.py.
    spike_window_minutes: int | None = Field(
        None, ge=5, le=24 * 60, validation_alias=_env("SPIKE_WINDOW_MINUTES")
    )
    spike_sensitivity: float | None = Field(
        None, gt=0, lt=0.01, validation_alias=_env("SPIKE_SENSITIVITY")
    )
    spike_min_count: int | None = Field(None, ge=2, validation_alias=_env("SPIKE_MIN_COUNT"))
    spike_cooldown_minutes: int | None = Field(
        None, ge=0, validation_alias=_env("SPIKE_COOLDOWN_MINUTES")
    )
    # What this process runs: everything, only the inbound side, or only the queue workers.
    role: ServiceRole = Field(ServiceRole.ALL, validation_alias=_env("REPLYDESK_ROLE"))
    # Queue workers per replica: filing deliveries, drafting, publishing cards, sending replies.
    filing_workers: int = Field(2, ge=1, le=16, validation_alias=_env("FILING_WORKERS"))
    drafting_workers: int = Field(4, ge=1, le=64, validation_alias=_env("DRAFTING_WORKERS"))
    publishing_workers: int = Field(4, ge=1, le=64, validation_alias=_env("PUBLISHING_WORKERS"))
    delivery_workers: int = Field(4, ge=1, le=64, validation_alias=_env("DELIVERY_WORKERS"))
    log_level: LogLevel = Field(LogLevel.INFO, validation_alias=_env("LOG_LEVEL"))
    log_format: LogFormat = Field(LogFormat.TEXT, validation_alias=_env("LOG_FORMAT"))
    server_host: str = Field("127.0.0.1", validation_alias=_env("REPLYDESK_HOST"))
    server_port: int = Field(8080, validation_alias=_env("REPLYDESK_PORT"))

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str | None) -> str | None:
        """Accept PostgreSQL and SQLite URLs, adding the async driver ReplyDesk installs."""
        if not value:
            return None
        scheme, separator, rest = value.partition("://")
        if not separator:
            raise ValueError(_DATABASE_URL_HELP)
        driver = _DATABASE_DRIVERS.get(scheme.lower())
        if driver is None:
            raise ValueError(_DATABASE_URL_HELP)
        return f"{driver}://{rest}"

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level_in_any_case(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    def ensure_data_dir(self) -> None:
        """Create the data directory, or say in one line why it cannot be written.

        Raises:
            InputError: REPLYDESK_DATA_DIR cannot be created or written.
        """
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            probe = self.data_dir / ".write-test"
            probe.touch()
            probe.unlink()
        except OSError as error:
            reason = (error.strerror or str(error)).lower()
            raise InputError(
                f"REPLYDESK_DATA_DIR={self.data_dir} cannot be written ({reason}): "
                "choose a folder this user can write to"
            ) from None

    def reviewer_ids(self) -> frozenset[str]:
        """Slack user ids allowed to decide on drafts (SLACK_REVIEWERS, comma-separated)."""
        return _ids(self.slack_reviewers)

    def lead_ids(self) -> frozenset[str]:
        """Slack user ids of the comms leads (SLACK_LEADS, comma-separated)."""
        return _ids(self.slack_leads)

    def sign_off_labels(self) -> frozenset[str]:
        """Labels whose drafts need a lead's sign-off too (SECOND_SIGN_OFF_LABELS)."""
        return _ids(self.second_sign_off_labels)

    def knowledge_editor_ids(self) -> frozenset[str]:
        """Slack user ids of the knowledge editors (SLACK_KNOWLEDGE_EDITORS)."""
        return _ids(self.slack_knowledge_editors)

    def resolved_retrieval_mode(self) -> RetrievalMode:
        """RETRIEVAL_MODE, or fused (local models) / hybrid (an embeddings server).

        Raises:
            PermanentError: fused was asked for together with an embeddings server; its
                weights are fitted for the local e5 and USE models.
        """
        offline = self.embeddings_provider is EmbeddingsProvider.OFFLINE
        if self.retrieval_mode is None:
            return RetrievalMode.FUSED if offline else RetrievalMode.HYBRID
        if self.retrieval_mode is RetrievalMode.FUSED and not offline:
            raise PermanentError(
                "RETRIEVAL_MODE=fused uses the local models; with EMBEDDINGS_PROVIDER=openai "
                "set RETRIEVAL_MODE=hybrid, dense or lexical"
            )
        return self.retrieval_mode

    def resolved_database_url(self) -> str:
        """Return DATABASE_URL, or a SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'replydesk.sqlite3').as_posix()}"


def _ids(listed: str) -> frozenset[str]:
    return frozenset(item.strip() for item in listed.split(",") if item.strip())
