"""MetaSender against the Graph API stand-in: reply modes and how Graph errors are sorted."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from bot.channels.meta_sender import MetaSender
from bot.errors import PermanentError, RateLimitedError, TransientError
from bot.models import Channel, Delivery
from tests.channels.harness import META_PAGE_TOKEN
from tests.stand_ins import MetaGraphStandIn

PAGE_ID = "1100200300"


@pytest.fixture
def graph() -> Iterator[MetaGraphStandIn]:
    with MetaGraphStandIn() as stand_in:
        yield stand_in


def comment_delivery(mode: str, channel: Channel = Channel.FACEBOOK) -> Delivery:
    return Delivery(
        id="d1",
        draft_id="dr1",
        channel=channel,
        text="Hallo Anna, schau bitte in deine Nachrichten.",
        reply_target={
            "kind": "comment",
            "account_id": PAGE_ID,
            "comment_id": f"{PAGE_ID}_555_903",
            "reply_mode": mode,
        },
    )


class TestMetaSender:
    async def test_private_mode_answers_a_comment_by_private_reply(
        self, graph: MetaGraphStandIn
    ) -> None:
        async with httpx.AsyncClient() as client:
            sender = MetaSender(Channel.FACEBOOK, client, graph.url, SecretStr(META_PAGE_TOKEN))
            message_id = await sender.send(comment_delivery("private"))
        [sent] = graph.sent()
        assert (sent["edge"], sent["node"]) == ("messages", PAGE_ID)
        assert sent["params"]["recipient"] == {"comment_id": f"{PAGE_ID}_555_903"}  # type: ignore[index]
        assert message_id == sent["id"]

    @pytest.mark.parametrize(
        ("status", "body", "expected"),
        [
            (
                400,
                {"error": {"code": 4, "message": "(#4) Application request limit reached"}},
                RateLimitedError,
            ),
            (500, None, TransientError),
            (
                400,
                {"error": {"code": 2, "is_transient": True, "message": "Service unavailable"}},
                TransientError,
            ),
            (
                400,
                {
                    "error": {
                        "code": 10,
                        "error_subcode": 2018278,
                        "message": "(#10) outside window",
                    }
                },
                PermanentError,
            ),
        ],
    )
    async def test_graph_errors_map_to_retry_wait_or_refusal(
        self, graph: MetaGraphStandIn, status: int, body: object, expected: type[Exception]
    ) -> None:
        graph.fail("*", status=status, body=body)
        async with httpx.AsyncClient() as client:
            sender = MetaSender(Channel.FACEBOOK, client, graph.url, SecretStr(META_PAGE_TOKEN))
            with pytest.raises(expected):
                await sender.send(comment_delivery("public"))
        assert graph.sent() == []

    async def test_unknown_reply_mode_is_refused_without_a_call(
        self, graph: MetaGraphStandIn
    ) -> None:
        async with httpx.AsyncClient() as client:
            sender = MetaSender(Channel.FACEBOOK, client, graph.url, SecretStr(META_PAGE_TOKEN))
            with pytest.raises(PermanentError):
                await sender.send(comment_delivery("shout"))
        assert graph.calls() == []
