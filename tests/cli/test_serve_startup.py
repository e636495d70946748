"""What `replydesk serve` tells an operator at start, and how its log lines look."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.logs import configure_service_logging
from bot.cli.serve import retrying, startup_picture
from bot.errors import PermanentError, TransientError
from bot.settings import Settings
from bot.slack.log_board import LoggingBoard, card_as_text
from tests.slack.test_blocks import make_card


@pytest.fixture
def no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings from the test's own values only: no .env, no variables of the machine."""
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "CHROMA_HOST", "SLACK_BOT_TOKEN", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_environment")
class TestStartupPicture:
    def test_with_nothing_configured_it_says_no_channel_is_on_and_cards_go_to_the_log(
        self,
    ) -> None:
        picture = startup_picture(Settings(), entries=122, clauses=14)

        assert "channels: none" in picture
        assert "Slack: off (cards go to this log; nobody can approve)" in picture
        assert "drafter: offline" in picture
        assert "(122 entries, 14 guideline clauses)" in picture
        assert "embedded Chroma in" in picture
        assert "database: sqlite+aiosqlite:///" in picture

    def test_it_names_every_configured_channel_and_hides_the_database_password(self) -> None:
        settings = Settings(
            telegram_bot_token="123:abc",
            webhook_secret="s",
            meta_app_secret="m",
            slack_bot_token="xoxb-1",
            slack_signing_secret="s",
            slack_review_channel="CREVIEW",
            database_url="postgresql://replydesk:hunter2@db:5432/replydesk",
            chroma_host="chroma",
            llm_provider="openai",
            openai_base_url="http://llm:8000/v1",
        )

        picture = startup_picture(settings, entries=1, clauses=1)

        assert "telegram (polling)" in picture and "meta (/webhooks/meta)" in picture
        assert "generic webhook" in picture and "slack (forwarded messages)" in picture
        assert "Slack: http, review channel CREVIEW" in picture
        assert "gpt-4o-mini at http://llm:8000/v1" in picture
        assert "(1 entry, 1 guideline clause)" in picture
        assert "Chroma server chroma:8000" in picture
        assert "hunter2" not in picture and "postgresql+psycopg://replydesk:***@db" in picture
        assert "xoxb-1" not in picture


class TestStartupWaits:
    async def test_a_passing_outage_is_waited_out(self, caplog: pytest.LogCaptureFixture) -> None:
        answers: list[BaseException | str] = [TransientError("starting up"), "up"]

        async def attempt() -> str:
            answer = answers.pop(0)
            if isinstance(answer, BaseException):
                raise answer
            return answer

        with caplog.at_level(logging.WARNING):
            assert await retrying("the database", attempt, budget_seconds=5) == "up"

        assert "the database did not answer (starting up); trying again in 1 s" in caplog.text

    async def test_a_permanent_refusal_is_not_retried(self) -> None:
        calls = 0

        async def attempt() -> None:
            nonlocal calls
            calls += 1
            raise PermanentError("Slack refused SLACK_BOT_TOKEN (invalid_auth)")

        with pytest.raises(PermanentError):
            await retrying("Slack", attempt, budget_seconds=30)
        assert calls == 1


class TestCardsWithoutSlack:
    def test_the_log_shows_the_card_as_a_reviewer_reads_it(self) -> None:
        text = card_as_text(make_card("Kann ich meine Bestellung zurückgeben?"))

        assert "Anna Adler" in text
        assert "Kann ich meine Bestellung zurückgeben?" in text
        assert "Du kannst innerhalb von 30 Tagen zurückschicken." in text
        assert "returns-window-de" in text
        assert "[Approve" in text or "[Freigeben" in text

    async def test_publishing_writes_the_card_to_the_service_log(
        self, service_log: io.StringIO
    ) -> None:
        await LoggingBoard().publish(make_card("Rückgabe?"), None)

        logged = service_log.getvalue()
        assert "card c1" in logged
        assert "Du kannst innerhalb von 30 Tagen zurückschicken." in logged


class TestLogFormat:
    def test_json_lines_carry_time_level_logger_and_the_masked_message(self) -> None:
        stream = io.StringIO()
        root = logging.getLogger()
        level = root.level
        handler = configure_service_logging(logging.INFO, stream, json_lines=True)
        try:
            logging.getLogger("bot.serve").warning("mail from %s", "erika@example.org")
            try:
                raise ValueError("token xoxb-1234567890-abcdef")
            except ValueError:
                logging.getLogger("bot.test").exception("failed")
        finally:
            root.removeHandler(handler)
            root.setLevel(level)

        first, second = (json.loads(line) for line in stream.getvalue().splitlines())
        assert first["level"] == "WARNING" and first["logger"] == "bot.serve"
        assert first["message"] == "mail from [email]" and first["time"]
        assert second["message"] == "failed"
        assert "ValueError: token [token]" in second["exc_info"]


class TestHelp:
    def test_flags_show_no_value_hints(self) -> None:
        result = CliRunner().invoke(app, ["draft", "--help"])

        assert result.exit_code == 0
        assert "--jsonl " in result.output
        assert "<bool>" not in result.output

    def test_the_top_level_help_lists_debug_and_version(self) -> None:
        result = CliRunner().invoke(app, ["--help"])

        assert result.exit_code == 0
        assert "--debug" in result.output and "--version" in result.output
