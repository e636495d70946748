"""Settings choose how Slack is wired: logging board, HTTP endpoint or Socket Mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from starlette.routing import Route

from bot.errors import InputError
from bot.faq.embedders import UseEmbedder
from bot.settings import Settings
from bot.slack.blocks import SHORTCUT_DRAFT
from bot.slack.knowledge_views import SHORTCUT_EDIT_KNOWLEDGE
from bot.slack.log_board import LoggingBoard
from bot.slack.wiring import EVENTS_PATH, SlackMode, build_slack, slack_mode
from bot.wiring import build_runtime
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.slack.harness import slack_settings
from tests.stand_ins import SlackStandIn

MANIFEST = Path(__file__).resolve().parents[2] / "bot" / "slack" / "manifest.yaml"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as stand_in:
        yield stand_in


def paths(routes: list[object]) -> list[str]:
    return [route.path for route in routes if isinstance(route, Route)]


class TestSlackWiring:
    def test_without_a_bot_token_cards_go_to_the_log(self) -> None:
        integration = build_slack(Settings())
        assert isinstance(integration.board, LoggingBoard)
        assert integration.mode is SlackMode.OFF
        assert integration.senders == {}

    async def test_http_mode_serves_events_interactivity_and_shortcuts_on_one_route(
        self, slack: SlackStandIn, tmp_path: Path, use_embedder: UseEmbedder
    ) -> None:
        settings = slack_settings(tmp_path, slack)
        runtime = await build_runtime(settings, embedder=use_embedder)
        assert slack_mode(settings) is SlackMode.HTTP
        assert EVENTS_PATH in paths(list(runtime.routes))
        assert "socket_mode" not in [getattr(job, "__name__", "") for job in runtime.background]
        await runtime.desk.db.dispose()

    async def test_app_token_selects_socket_mode_and_no_http_route(
        self, slack: SlackStandIn, tmp_path: Path, use_embedder: UseEmbedder
    ) -> None:
        settings = slack_settings(
            tmp_path, slack, slack_app_token="xapp-test", slack_signing_secret=None
        )
        runtime = await build_runtime(settings, embedder=use_embedder)
        assert slack_mode(settings) is SlackMode.SOCKET
        assert EVENTS_PATH not in paths(list(runtime.routes))
        assert "socket_mode" in [getattr(job, "__name__", "") for job in runtime.background]
        await runtime.desk.db.dispose()

    @pytest.mark.parametrize(
        ("missing", "message"),
        [
            ("slack_review_channel", "SLACK_REVIEW_CHANNEL"),
            ("slack_signing_secret", "SLACK_SIGNING_SECRET"),
        ],
    )
    def test_half_configured_slack_is_refused_with_the_missing_setting(
        self, missing: str, message: str
    ) -> None:
        values = {
            "knowledge_dir": FIXTURE_KNOWLEDGE,
            "slack_bot_token": "xoxb-test",
            "slack_signing_secret": "secret",
            "slack_review_channel": "C_REVIEW",
            missing: None,
        }
        with pytest.raises(InputError, match=message):
            build_slack(Settings(**values))  # type: ignore[arg-type]


class TestManifest:
    def test_manifest_declares_exactly_what_the_app_uses(self) -> None:
        manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
        features, settings = manifest["features"], manifest["settings"]
        assert [(s["callback_id"], s["type"]) for s in features["shortcuts"]] == [
            (SHORTCUT_DRAFT, "message"),
            (SHORTCUT_EDIT_KNOWLEDGE, "global"),
        ]
        assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened", "app_mention"]
        assert features["app_home"]["home_tab_enabled"] is True
        assert settings["interactivity"]["is_enabled"] is True
        for url in (
            settings["event_subscriptions"]["request_url"],
            settings["interactivity"]["request_url"],
            # the "Edit the FAQ" entry picker (external_select) loads its options here
            settings["interactivity"]["message_menu_options_url"],
        ):
            assert url.endswith(EVENTS_PATH)
        assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == [
            "app_mentions:read",
            "channels:history",
            "chat:write",
            "chat:write.public",
            "commands",
            "files:write",
            "groups:history",
            "im:write",
            "usergroups:read",
            "users:read",
        ]
