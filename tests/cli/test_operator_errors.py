"""Mistakes an operator makes end in one line that says what to fix, and a documented exit code.

The command runs as a real process (`python -m bot`), as an operator starts it, with only the
variables each test sets: no traceback unless `--debug` or LOG_LEVEL=DEBUG asks for it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.failures import CONFIGURATION, REFUSED_INPUT, UNAVAILABLE
from tests.stand_ins.slack import SlackStandIn

FIXTURES = Path(__file__).parents[1] / "fixtures"
# Nothing listens on port 1 of the loopback: connecting is refused at once.
NOBODY_LISTENS = "postgresql://replydesk@127.0.0.1:1/replydesk"


def replydesk(
    *args: str, env: dict[str, str], tmp_path: Path, stdin: bytes = b"", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in `tmp_path` with a clean environment plus `env`."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "REPLYDESK_DATA_DIR": str(tmp_path / "data"),
        "OPENBLAS_NUM_THREADS": "1",
        **env,
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        env=environment,
        cwd=tmp_path,
        timeout=timeout,
        check=False,
    )
    return subprocess.CompletedProcess(
        done.args,
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


class TestConfigurationErrors:
    @pytest.mark.parametrize(
        ("variable", "value", "named"),
        [
            ("ANSWER_THRESHOLD", "abc", "ANSWER_THRESHOLD=abc"),
            ("RETRIEVAL_MODE", "semantic", "RETRIEVAL_MODE=semantic"),
            ("DATABASE_URL", "mysql://db/replydesk", "DATABASE_URL"),
            ("LOG_FORMAT", "xml", "LOG_FORMAT=xml"),
        ],
    )
    def test_a_bad_setting_is_one_line_naming_the_variable(
        self, tmp_path: Path, variable: str, value: str, named: str
    ) -> None:
        result = replydesk("stats", env={variable: value}, tmp_path=tmp_path)

        assert result.returncode == CONFIGURATION
        line = one_error_line(result)
        assert named in line and "fix it in the environment or .env" in line

    def test_a_secret_in_a_bad_setting_is_not_echoed(self, tmp_path: Path) -> None:
        result = replydesk(
            "stats",
            env={"SLACK_BOT_TOKEN": "xoxb-1", "DELIVERY_MAX_ATTEMPTS": "0"},
            tmp_path=tmp_path,
        )

        assert result.returncode == CONFIGURATION
        assert "xoxb-1" not in result.stderr
        assert "DELIVERY_MAX_ATTEMPTS=0" in one_error_line(result)

    def test_a_data_dir_that_cannot_be_written_is_named(self, tmp_path: Path) -> None:
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")

        result = replydesk(
            "stats", env={"REPLYDESK_DATA_DIR": str(blocker / "data")}, tmp_path=tmp_path
        )

        assert result.returncode == CONFIGURATION
        assert f"REPLYDESK_DATA_DIR={blocker / 'data'} cannot be written" in one_error_line(result)

    def test_a_missing_input_file_is_named(self, tmp_path: Path) -> None:
        result = replydesk("eval", "drafts", "missing.jsonl", env={}, tmp_path=tmp_path)

        assert result.returncode == CONFIGURATION
        assert "missing.jsonl: no such file or directory" in one_error_line(result)

    def test_debug_shows_the_traceback_as_well(self, tmp_path: Path) -> None:
        result = replydesk("--debug", "stats", env={"ANSWER_THRESHOLD": "abc"}, tmp_path=tmp_path)

        assert result.returncode == CONFIGURATION
        assert "Traceback" in result.stderr
        assert result.stderr.rstrip().splitlines()[-1].startswith("error: ANSWER_THRESHOLD=abc")


class TestUnavailableServices:
    def test_an_unreachable_database_is_one_line_and_exit_3(self, tmp_path: Path) -> None:
        result = replydesk("stats", env={"DATABASE_URL": NOBODY_LISTENS}, tmp_path=tmp_path)

        assert result.returncode == UNAVAILABLE
        line = one_error_line(result)
        assert "the database did not answer" in line and "DATABASE_URL" in line

    def test_an_unreachable_chroma_server_is_one_line_and_exit_3(self, tmp_path: Path) -> None:
        result = replydesk(
            "index",
            "--knowledge-dir",
            str(FIXTURES / "knowledge"),
            env={"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": "1", "RETRIEVAL_MODE": "lexical"},
            tmp_path=tmp_path,
        )

        assert result.returncode == UNAVAILABLE
        line = one_error_line(result)
        assert "the Chroma server at 127.0.0.1:1 did not answer" in line and "CHROMA_HOST" in line

    def test_serve_retries_the_database_for_a_while_then_gives_up_in_one_line(
        self, tmp_path: Path
    ) -> None:
        result = replydesk(
            "serve",
            env={"DATABASE_URL": NOBODY_LISTENS, "STARTUP_WAIT_SECONDS": "2"},
            tmp_path=tmp_path,
        )

        assert result.returncode == UNAVAILABLE
        assert "the database did not answer (" in result.stderr  # each retry is logged
        assert "Traceback" not in result.stderr
        last = result.stderr.rstrip().splitlines()[-1]
        assert last.startswith("error: the database did not answer within 2 s")
        assert "STARTUP_WAIT_SECONDS" in last

    def test_a_wrong_slack_token_stops_serve_at_start_with_one_line(self, tmp_path: Path) -> None:
        with SlackStandIn(token="xoxb-the-right-one") as slack:
            result = replydesk(
                "serve",
                env={
                    "SLACK_BOT_TOKEN": "xoxb-a-wrong-one",
                    "SLACK_SIGNING_SECRET": "secret",
                    "SLACK_REVIEW_CHANNEL": "CREVIEW",
                    "SLACK_API_URL": f"{slack.url}/api/",
                },
                tmp_path=tmp_path,
            )

        assert result.returncode == CONFIGURATION
        assert "xoxb-a-wrong-one" not in result.stderr
        last = result.stderr.rstrip().splitlines()[-1]
        assert last.startswith("error: Slack refused SLACK_BOT_TOKEN (invalid_auth)")
        assert "Traceback" not in result.stderr

    def test_a_review_channel_the_bot_cannot_read_stops_serve_at_start(
        self, tmp_path: Path
    ) -> None:
        with SlackStandIn(token="xoxb-right", channels={"CREVIEW"}) as slack:
            result = replydesk(
                "serve",
                env={
                    "SLACK_BOT_TOKEN": "xoxb-right",
                    "SLACK_SIGNING_SECRET": "secret",
                    "SLACK_REVIEW_CHANNEL": "COTHER",
                    "SLACK_API_URL": f"{slack.url}/api/",
                },
                tmp_path=tmp_path,
            )

        assert result.returncode == CONFIGURATION
        last = result.stderr.rstrip().splitlines()[-1]
        assert last.startswith("error: SLACK_REVIEW_CHANNEL=COTHER does not exist")


class TestBadInputLines:
    def test_draft_jsonl_answers_a_line_of_broken_bytes_with_an_error_and_goes_on(
        self, tmp_path: Path
    ) -> None:
        good = json.dumps(
            {"id": "ok", "channel": "telegram", "text": "Liefert ihr in die Schweiz?"}
        )
        stdin = b"\n".join(
            [
                b'{"id": "bad", "channel": "telegram", "text": "Gr\xf6\xdfe 42?"}',
                good.encode(),
                b"\xff\xfe\x00garbage",
            ]
        )

        result = replydesk(
            "draft",
            "--jsonl",
            "--knowledge-dir",
            str(FIXTURES / "knowledge"),
            env={},
            tmp_path=tmp_path,
            stdin=stdin,
        )

        assert result.returncode == 0, result.stderr
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert [line["id"] for line in lines] == [None, "ok", None]
        assert "line 1: not UTF-8 (byte 0xf6" in str(lines[0]["error"])
        assert lines[1]["action"] in {"review", "escalate"}
        assert "line 3: not UTF-8" in str(lines[2]["error"])

    def test_demo_reports_a_bad_enquiry_line_and_exits_1(self, tmp_path: Path) -> None:
        enquiries = tmp_path / "enquiries.jsonl"
        enquiries.write_bytes(
            b'{"id": 1, "channel": "telegram", "text": "Wo ist mein Paket?"}\n'
            b'{"id": 2, "channel": "pigeon", "text": "Hallo"}\n'
            b"\xff not json\n"
        )

        result = replydesk(
            "demo",
            "--enquiries",
            str(enquiries),
            env={"REPLYDESK_KNOWLEDGE_DIR": str(FIXTURES / "knowledge")},
            tmp_path=tmp_path,
            timeout=300,
        )

        assert result.returncode == REFUSED_INPUT
        assert "Traceback" not in result.stderr + result.stdout
        assert "line 2: channel" in result.stdout
        assert "line 3: not valid JSON" in result.stdout
        assert "1 draft," in result.stdout
