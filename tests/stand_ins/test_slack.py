"""The Slack stand-in answers slack_sdk and slack_bolt like the Slack Web API does."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import pytest
from slack_bolt import Ack, App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.stand_ins import (
    SlackStandIn,
    block_actions_body,
    event_callback_body,
    message_shortcut_body,
    sign_slack_request,
    view_submission_body,
)

SLACK_TOKEN = "xoxb-stand-in"
SIGNING_SECRET = "stand-in-signing-secret"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(token=SLACK_TOKEN) as stand_in:
        yield stand_in


def slack_client(slack: SlackStandIn) -> WebClient:
    return WebClient(token=SLACK_TOKEN, base_url=f"{slack.url}/api/")


class TestSlackStandIn:
    def test_web_client_posts_then_updates_card(self, slack: SlackStandIn) -> None:
        client = slack_client(slack)
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Draft"}}]
        posted = client.chat_postMessage(channel="C_REVIEW", text="Draft", blocks=blocks)
        client.chat_update(channel="C_REVIEW", ts=posted["ts"], text="Approved", blocks=[])
        card = slack.message("C_REVIEW", posted["ts"])
        assert (card.text, card.blocks, card.edits) == ("Approved", [], 1)
        call = slack.wait_for("chat.postMessage")[0]
        assert call.params["blocks"] == blocks
        assert call.headers["authorization"] == f"Bearer {SLACK_TOKEN}"

    def test_posted_messages_get_unique_increasing_ts(self, slack: SlackStandIn) -> None:
        client = slack_client(slack)
        stamps = [client.chat_postMessage(channel="C1", text=str(n))["ts"] for n in range(3)]
        assert stamps == sorted(set(stamps), key=float)
        assert [m.text for m in slack.messages("C1")] == ["0", "1", "2"]

    @pytest.mark.asyncio
    async def test_async_web_client_posts_message(self, slack: SlackStandIn) -> None:
        client = AsyncWebClient(token=SLACK_TOKEN, base_url=f"{slack.url}/api/")
        posted = await client.chat_postMessage(channel="C_REVIEW", text="hi", thread_ts="1.000001")
        assert slack.message("C_REVIEW", posted["ts"]).thread_ts == "1.000001"

    def test_slack_429_without_retry_handler_raises(self, slack: SlackStandIn) -> None:
        slack.fail("chat.postMessage", status=429, headers={"Retry-After": "1"})
        with pytest.raises(SlackApiError) as raised:
            slack_client(slack).chat_postMessage(channel="C1", text="x")
        assert raised.value.response.status_code == 429
        assert slack.messages() == []

    def test_slack_429_with_rate_limit_retry_handler_succeeds(self, slack: SlackStandIn) -> None:
        slack.fail("chat.postMessage", status=429, headers={"Retry-After": "1"})
        client = slack_client(slack)
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
        client.chat_postMessage(channel="C1", text="x")
        assert slack.count("chat.postMessage") == 2
        assert len(slack.messages()) == 1

    def test_ok_false_with_http_200_raises_slack_api_error(self, slack: SlackStandIn) -> None:
        slack.fail("chat.postMessage", status=200, body={"ok": False, "error": "channel_not_found"})
        with pytest.raises(SlackApiError, match="channel_not_found"):
            slack_client(slack).chat_postMessage(channel="C404", text="x")

    def test_unknown_method_and_wrong_token_answer_like_slack(self, slack: SlackStandIn) -> None:
        with pytest.raises(SlackApiError, match="unknown_method"):
            slack_client(slack).api_call("chat.doesNotExist")
        with pytest.raises(SlackApiError, match="invalid_auth"):
            WebClient(token="xoxb-wrong", base_url=f"{slack.url}/api/").auth_test()

    def test_more_than_fifty_blocks_are_rejected(self, slack: SlackStandIn) -> None:
        blocks = [{"type": "divider"}] * 51
        with pytest.raises(SlackApiError, match="invalid_blocks"):
            slack_client(slack).chat_postMessage(channel="C1", text="x", blocks=blocks)

    def test_lookup_methods_serve_configured_state(self, slack: SlackStandIn) -> None:
        client = slack_client(slack)
        slack.set_usergroup("S_REVIEWERS", ["U1", "U2"])
        slack.set_user("U1", "anna", "Anna Adler", "Anna A.")
        assert client.usergroups_users_list(usergroup="S_REVIEWERS")["users"] == ["U1", "U2"]
        assert client.users_info(user="U1")["user"]["profile"]["display_name"] == "Anna A."
        assert client.auth_test()["user_id"] == "UBOT"
        root = client.chat_postMessage(channel="C1", text="root")["ts"]
        client.chat_postMessage(channel="C1", text="reply", thread_ts=root)
        thread = client.conversations_replies(channel="C1", ts=root)["messages"]
        assert [m["text"] for m in thread] == ["root", "reply"]
        link = client.chat_getPermalink(channel="C1", message_ts=root)["permalink"]
        assert link.endswith(f"/archives/C1/p{root.replace('.', '')}")

    def test_views_reactions_and_ephemerals(self, slack: SlackStandIn) -> None:
        client = slack_client(slack)
        view = {
            "type": "modal",
            "callback_id": "draft.edit",
            "title": {"type": "plain_text", "text": "Edit"},
        }
        opened = client.views_open(trigger_id="t", view=view)["view"]
        updated = client.views_update(view_id=opened["id"], view={**view, "private_metadata": "d1"})
        assert updated["view"]["id"] == opened["id"]
        assert slack.view(opened["id"])["private_metadata"] == "d1"
        assert client.chat_postEphemeral(channel="C1", user="U1", text="only you")["message_ts"]
        client.reactions_add(channel="C1", timestamp="1.1", name="eyes")
        with pytest.raises(SlackApiError, match="already_reacted"):
            client.reactions_add(channel="C1", timestamp="1.1", name="eyes")
        assert slack.reactions("C1", "1.1") == ["eyes"]


class TestSlackSigning:
    def test_signed_request_passes_signature_verifier(self) -> None:
        body = block_actions_body("draft.approve", "d1")
        headers = sign_slack_request(SIGNING_SECRET, body)
        assert SignatureVerifier(SIGNING_SECRET).is_valid_request(body, headers)
        stale = sign_slack_request(SIGNING_SECRET, body, timestamp=int(time.time()) - 600)
        assert not SignatureVerifier(SIGNING_SECRET).is_valid_request(body, stale)

    def test_bolt_runs_listeners_for_every_built_body(self, slack: SlackStandIn) -> None:
        app = App(
            client=slack_client(slack), signing_secret=SIGNING_SECRET, process_before_response=True
        )
        seen: list[str] = []

        @app.action("draft.approve")
        def approve(ack: Ack, body: dict[str, object], client: WebClient) -> None:
            ack()
            container = body["container"]
            assert isinstance(container, dict)
            client.chat_update(
                channel=container["channel_id"], ts=container["message_ts"], text="approved"
            )
            seen.append("action")

        @app.view("draft.edit")
        def edit(ack: Ack, view: dict[str, object]) -> None:
            ack()
            seen.append(f"view:{view['private_metadata']}")

        @app.shortcut("draft.create")
        def shortcut(ack: Ack) -> None:
            ack()
            seen.append("shortcut")

        @app.event("app_mention")
        def mention() -> None:
            seen.append("event")

        card_ts = slack_client(slack).chat_postMessage(channel="C_REVIEW", text="draft")["ts"]
        bodies = [
            block_actions_body("draft.approve", "d1", message_ts=card_ts),
            view_submission_body("draft.edit", "d1", {"reply": {"text": "Hello"}}),
            message_shortcut_body("draft.create", "C1", "1.000001", "Where is my order?"),
            event_callback_body(
                {
                    "type": "app_mention",
                    "user": "U1",
                    "text": "hi",
                    "channel": "C1",
                    "ts": "1.000002",
                    "event_ts": "1.000002",
                },
                "Ev001",
            ),
        ]
        for body in bodies:
            headers: dict[str, str | Sequence[str]] = {**sign_slack_request(SIGNING_SECRET, body)}
            response = app.dispatch(BoltRequest(body=body.decode(), headers=headers))
            assert response.status == 200
        assert seen == ["action", "view:d1", "shortcut", "event"]
        assert slack.message("C_REVIEW", card_ts).text == "approved"
