"""Hide and Unhide on a person's click: the Graph and X stand-ins, real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.channels import build_channels
from bot.channels.moderation import MetaModerator, XModerator
from bot.errors import PermanentError
from bot.faq.files import load_knowledge
from bot.models import Channel, Enquiry, InboundMessage
from bot.resources import SAMPLE_KNOWLEDGE_DIR
from bot.services import Desk, receive_enquiry
from bot.services.moderation import (
    ACTION_LEASE,
    ModerationOutcome,
    hide_clauses,
    hide_post,
    offers_hide,
    post_visibility,
)
from bot.settings import Settings
from bot.storage import Database
from bot.storage.moderation import ModerationAction, ModerationKind, ModerationState
from tests.fakes.ports import RecordingBoard
from tests.services.harness import telegram
from tests.stand_ins import MetaGraphStandIn, XStandIn

PAGE_ID = "1100200300"
PAGE_TOKEN = "meta-page-token"
X_TOKEN = "x-user-token"
REVIEWER = "U_REVIEWER"
SPAM = "Gratis iPhone gewinnen! Klick hier: http://bit.ly/xyz"
INSULT = "Ihr seid alle Idioten"
PERSONAL_DATA = "Meine IBAN ist DE89370400440532013000, bitte erstatten"
# Criticism with an insult in it: still criticism, never hidden (§2).
ANGRY_COMPLAINT = "Ihr Idioten, mein Paket ist immer noch nicht da!"
SARCASM = "Toll, schon wieder down 🙄"
QUESTION = "Wann öffnet ihr morgen?"


@pytest.fixture
def graph() -> Iterator[MetaGraphStandIn]:
    with MetaGraphStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def x_api() -> Iterator[XStandIn]:
    with XStandIn() as stand_in:
        yield stand_in


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as http:
        yield http


def with_moderators(
    desk: Desk, graph: MetaGraphStandIn, x_api: XStandIn, client: httpx.AsyncClient
) -> Desk:
    """The desk with real moderators against the stand-ins and the shipped guidelines."""
    # The shipped guidelines number spam §12, abuse §11 and personal data §9.
    guidelines = load_knowledge(SAMPLE_KNOWLEDGE_DIR).guidelines
    desk.drafting = dataclasses.replace(desk.drafting, guidelines=guidelines)
    token = SecretStr(PAGE_TOKEN)
    desk.moderators = {
        Channel.FACEBOOK: MetaModerator(Channel.FACEBOOK, client, f"{graph.url}/v21.0", token),
        Channel.INSTAGRAM: MetaModerator(Channel.INSTAGRAM, client, f"{graph.url}/v21.0", token),
        Channel.X: XModerator(client, x_api.url, SecretStr(X_TOKEN)),
    }
    return desk


@pytest.fixture
def moderated(
    desk: Desk, graph: MetaGraphStandIn, x_api: XStandIn, client: httpx.AsyncClient
) -> Desk:
    return with_moderators(desk, graph, x_api, client)


def facebook_comment(number: int, text: str) -> InboundMessage:
    comment_id = f"{PAGE_ID}_555_{number}"
    return InboundMessage(
        Channel.FACEBOOK,
        comment_id,
        text,
        author_id=f"77{number}",
        reply_target={
            "kind": "comment",
            "account_id": PAGE_ID,
            "comment_id": comment_id,
            "parent_id": f"{PAGE_ID}_555",
            "reply_mode": "public",
        },
    )


def instagram_comment(number: int, text: str) -> InboundMessage:
    comment_id = f"1789{number:04d}"
    return InboundMessage(
        Channel.INSTAGRAM,
        comment_id,
        text,
        author_id=f"88{number}",
        reply_target={"kind": "comment", "account_id": "IG1", "comment_id": comment_id},
    )


def x_reply(number: int, text: str) -> InboundMessage:
    tweet_id = f"1799{number:04d}"
    return InboundMessage(
        Channel.X,
        tweet_id,
        text,
        author_id=f"99{number}",
        reply_target={"kind": "tweet", "tweet_id": tweet_id},
    )


def messenger_message(number: int, text: str) -> InboundMessage:
    return InboundMessage(
        Channel.FACEBOOK,
        f"m_{number}",
        text,
        author_id="PSID1",
        reply_target={"kind": "message", "account_id": PAGE_ID, "recipient_id": "PSID1"},
    )


def receive_preview(inbound: InboundMessage) -> Enquiry:
    """The enquiry an inbound message becomes, without storing it."""
    return Enquiry(
        id="e1",
        channel=inbound.channel,
        external_id=inbound.external_id,
        text=inbound.text,
        reply_target=dict(inbound.reply_target),
    )


async def stored(desk: Desk, inbound: InboundMessage) -> str:
    receipt = await receive_enquiry(desk, inbound)
    return receipt.enquiry.id


async def history(desk: Desk, enquiry_id: str) -> list[ModerationAction]:
    async with desk.db.unit_of_work() as uow:
        return await uow.moderation.history(enquiry_id)


class TestHide:
    async def test_hide_calls_meta_once_and_records_who_when_and_clause(
        self, moderated: Desk, graph: MetaGraphStandIn
    ) -> None:
        enquiry_id = await stored(moderated, facebook_comment(1, SPAM))
        before = moderated.clock()

        result = await hide_post(moderated, enquiry_id, REVIEWER)

        assert result.outcome is ModerationOutcome.DONE
        assert (
            result.message
            == "The post is hidden on the platform. You can unhide it from this card."
        )
        [call] = graph.calls("hide_comment")
        assert call.path == f"/v21.0/{PAGE_ID}_555_1"
        assert call.params == {"is_hidden": True}
        assert call.headers["authorization"] == f"Bearer {PAGE_TOKEN}"
        assert graph.is_hidden(f"{PAGE_ID}_555_1")
        [action] = await history(moderated, enquiry_id)
        assert (action.kind, action.requested_by, action.clause, action.state) == (
            ModerationKind.HIDE,
            REVIEWER,
            "§12",
            ModerationState.DONE,
        )
        assert before <= action.requested_at <= moderated.clock()
        assert action.completed_at is not None and action.last_error is None
        assert result.action == action

    async def test_instagram_comments_are_hidden_with_the_hide_field(
        self, moderated: Desk, graph: MetaGraphStandIn
    ) -> None:
        enquiry_id = await stored(moderated, instagram_comment(2, PERSONAL_DATA))

        result = await hide_post(moderated, enquiry_id, REVIEWER)

        assert result.outcome is ModerationOutcome.DONE
        assert graph.moderated() == [{"node": "17890002", "field": "hide", "hidden": True}]
        assert result.action is not None and result.action.clause == "§9"

    async def test_hide_calls_x_hide_replies_once(self, moderated: Desk, x_api: XStandIn) -> None:
        enquiry_id = await stored(moderated, x_reply(3, INSULT))

        result = await hide_post(moderated, enquiry_id, REVIEWER)

        assert result.outcome is ModerationOutcome.DONE
        [call] = x_api.calls("hide_replies")
        assert (call.method, call.path, call.params) == (
            "PUT",
            "/2/tweets/17990003/hidden",
            {"hidden": True},
        )
        assert call.headers["authorization"] == f"Bearer {X_TOKEN}"
        assert x_api.is_hidden("17990003")
        assert result.action is not None and result.action.clause == "§11"
        assert x_api.tweets() == []  # hiding posts nothing

    @pytest.mark.parametrize(
        ("inbound", "text"),
        [(facebook_comment, ANGRY_COMPLAINT), (x_reply, SARCASM), (instagram_comment, SARCASM)],
    )
    async def test_hiding_a_complaint_is_refused_and_nothing_is_called(
        self,
        moderated: Desk,
        graph: MetaGraphStandIn,
        x_api: XStandIn,
        inbound: Callable[[int, str], InboundMessage],
        text: str,
    ) -> None:
        enquiry_id = await stored(moderated, inbound(4, text))

        result = await hide_post(moderated, enquiry_id, REVIEWER)

        assert result.outcome is ModerationOutcome.CRITICISM
        assert "Criticism is never hidden" in result.message
        assert graph.calls() == [] and x_api.calls() == []
        assert await history(moderated, enquiry_id) == []

    async def test_a_plain_question_may_not_be_hidden(
        self, moderated: Desk, graph: MetaGraphStandIn
    ) -> None:
        enquiry_id = await stored(moderated, facebook_comment(5, QUESTION))

        result = await hide_post(moderated, enquiry_id, REVIEWER)

        assert result.outcome is ModerationOutcome.NOT_ALLOWED
        assert graph.calls() == []
        assert await history(moderated, enquiry_id) == []

    async def test_messages_and_channels_without_a_moderator_cannot_be_hidden(
        self, moderated: Desk, graph: MetaGraphStandIn, x_api: XStandIn
    ) -> None:
        private = await stored(moderated, messenger_message(6, SPAM))
        on_telegram = await stored(moderated, telegram(7, SPAM))

        results = [await hide_post(moderated, e, REVIEWER) for e in (private, on_telegram)]

        assert [r.outcome for r in results] == [ModerationOutcome.UNSUPPORTED] * 2
        assert graph.calls() == [] and x_api.calls() == []
        assert await history(moderated, private) == []


class TestUnhide:
    async def test_unhide_shows_the_post_again(
        self, moderated: Desk, graph: MetaGraphStandIn
    ) -> None:
        enquiry_id = await stored(moderated, facebook_comment(8, INSULT))
        await hide_post(moderated, enquiry_id, REVIEWER)

        result = await hide_post(moderated, enquiry_id, "U_LEAD", hidden=False)

        assert result.outcome is ModerationOutcome.DONE
        assert result.message == "The post is visible again."
        assert not graph.is_hidden(f"{PAGE_ID}_555_8")
        assert [c.params for c in graph.calls("hide_comment")] == [
            {"is_hidden": True},
            {"is_hidden": False},
        ]
        hide, unhide = await history(moderated, enquiry_id)
        assert (unhide.kind, unhide.requested_by, unhide.clause) == (
            ModerationKind.UNHIDE,
            "U_LEAD",
            hide.clause,
        )
        async with moderated.db.unit_of_work() as uow:
            assert not (await post_visibility(uow, enquiry_id)).hidden

    async def test_unhiding_a_visible_post_calls_nothing(
        self, moderated: Desk, x_api: XStandIn
    ) -> None:
        enquiry_id = await stored(moderated, x_reply(9, SPAM))

        result = await hide_post(moderated, enquiry_id, REVIEWER, hidden=False)

        assert result.outcome is ModerationOutcome.ALREADY
        assert result.message_key == "moderation_already_visible"
        assert x_api.calls() == []

    async def test_criticism_hidden_earlier_can_always_be_shown_again(
        self, moderated: Desk, x_api: XStandIn
    ) -> None:
        # Unhiding only ever makes a post visible again, so no label stands in its way.
        enquiry_id = await stored(moderated, x_reply(10, SARCASM))
        async with moderated.db.unit_of_work() as uow:
            at = moderated.clock()
            seq = await uow.moderation.record(enquiry_id, ModerationKind.HIDE, "U_X", "§12", at)
            assert seq is not None
            await uow.moderation.finish(enquiry_id, seq, ModerationState.DONE, None, at)
            await uow.commit()

        result = await hide_post(moderated, enquiry_id, REVIEWER, hidden=False)

        assert result.outcome is ModerationOutcome.DONE
        assert [c.params for c in x_api.calls("hide_replies")] == [{"hidden": False}]


class TestOnce:
    async def test_a_double_click_hides_once(
        self, moderated: Desk, graph: MetaGraphStandIn
    ) -> None:
        enquiry_id = await stored(moderated, facebook_comment(11, SPAM))

        results = await asyncio.gather(
            hide_post(moderated, enquiry_id, REVIEWER), hide_post(moderated, enquiry_id, REVIEWER)
        )
        later = await hide_post(moderated, enquiry_id, REVIEWER)

        assert sorted(r.outcome for r in results) == [
            ModerationOutcome.ALREADY,
            ModerationOutcome.DONE,
        ]
        assert later.outcome is ModerationOutcome.ALREADY
        assert later.message_key == "moderation_already_hidden"
        assert graph.count("hide_comment") == 1
        assert len(await history(moderated, enquiry_id)) == 1

    async def test_a_platform_outage_is_recorded_and_can_be_retried(
        self, moderated: Desk, graph: MetaGraphStandIn
    ) -> None:
        enquiry_id = await stored(moderated, facebook_comment(12, SPAM))
        graph.fail("hide_comment", status=503)

        failed = await hide_post(moderated, enquiry_id, REVIEWER)
        retried = await hide_post(moderated, enquiry_id, REVIEWER)

        assert failed.outcome is ModerationOutcome.FAILED
        assert failed.action is not None and failed.action.state is ModerationState.FAILED
        assert failed.action.last_error == "Graph API temporary error (#2)"
        assert PAGE_TOKEN not in failed.message
        assert retried.outcome is ModerationOutcome.DONE
        assert graph.count("hide_comment") == 2
        assert graph.is_hidden(f"{PAGE_ID}_555_12")
        assert [a.state for a in await history(moderated, enquiry_id)] == [
            ModerationState.FAILED,
            ModerationState.DONE,
        ]

    async def test_x_refusing_a_post_outside_our_conversations_is_recorded(
        self, moderated: Desk, x_api: XStandIn
    ) -> None:
        enquiry_id = await stored(moderated, x_reply(13, SPAM))
        x_api.not_in_own_conversation("17990013")

        result = await hide_post(moderated, enquiry_id, REVIEWER)

        assert result.outcome is ModerationOutcome.FAILED
        assert result.action is not None
        assert result.action.last_error == "X refused to change the post: HTTP 403"
        async with moderated.db.unit_of_work() as uow:
            assert not (await post_visibility(uow, enquiry_id)).hidden

    async def test_an_action_left_queued_by_a_stopped_replica_is_started_again(
        self, moderated: Desk, graph: MetaGraphStandIn
    ) -> None:
        enquiry_id = await stored(moderated, facebook_comment(14, SPAM))
        async with moderated.db.unit_of_work() as uow:
            started = moderated.clock() - ACTION_LEASE - dt.timedelta(seconds=1)
            await uow.moderation.record(enquiry_id, ModerationKind.HIDE, "U_GONE", "§12", started)
            await uow.commit()
            [left] = await uow.moderation.pending(moderated.clock() - ACTION_LEASE)
            assert (left.requested_by, left.state) == ("U_GONE", ModerationState.QUEUED)

        result = await hide_post(moderated, enquiry_id, REVIEWER)

        assert result.outcome is ModerationOutcome.DONE
        abandoned, done = await history(moderated, enquiry_id)
        assert abandoned.state is ModerationState.FAILED and abandoned.last_error
        assert (done.seq, done.requested_by, done.state) == (2, REVIEWER, ModerationState.DONE)
        assert graph.count("hide_comment") == 1

    async def test_a_click_while_another_is_at_it_does_nothing(
        self, moderated: Desk, graph: MetaGraphStandIn
    ) -> None:
        enquiry_id = await stored(moderated, facebook_comment(15, SPAM))
        async with moderated.db.unit_of_work() as uow:
            await uow.moderation.record(
                enquiry_id, ModerationKind.HIDE, "U_OTHER", "§12", moderated.clock()
            )
            await uow.commit()

        result = await hide_post(moderated, enquiry_id, REVIEWER)

        assert result.outcome is ModerationOutcome.ALREADY
        assert graph.calls() == []


class TestPostgreSQL:
    async def test_two_replicas_clicking_at_once_hide_once(
        self,
        postgresql_database: Database,
        desk: Desk,
        graph: MetaGraphStandIn,
        x_api: XStandIn,
        client: httpx.AsyncClient,
    ) -> None:
        replicas = [
            with_moderators(
                Desk(postgresql_database, desk.drafting, desk.catalog, RecordingBoard()),
                graph,
                x_api,
                client,
            )
            for _ in range(2)
        ]
        enquiry_id = await stored(replicas[0], x_reply(16, SPAM))

        results = await asyncio.gather(
            *[hide_post(replica, enquiry_id, REVIEWER) for replica in replicas * 2]
        )

        assert sorted(r.outcome for r in results) == [
            ModerationOutcome.ALREADY,
            ModerationOutcome.ALREADY,
            ModerationOutcome.ALREADY,
            ModerationOutcome.DONE,
        ]
        assert x_api.count("hide_replies") == 1
        assert len(await history(replicas[1], enquiry_id)) == 1


class TestOffering:
    def test_the_card_offers_hide_only_for_hideable_public_posts(self, moderated: Desk) -> None:
        def offered(inbound: InboundMessage) -> bool:
            enquiry = receive_preview(inbound)
            return offers_hide(moderated, enquiry)

        assert offered(facebook_comment(1, SPAM))
        assert offered(x_reply(1, PERSONAL_DATA))
        assert not offered(facebook_comment(1, ANGRY_COMPLAINT))
        assert not offered(facebook_comment(1, QUESTION))
        assert not offered(messenger_message(1, SPAM))
        assert not offered(telegram(1, SPAM))

    def test_clauses_come_from_the_guidelines(self) -> None:
        guidelines = load_knowledge(SAMPLE_KNOWLEDGE_DIR).guidelines

        assert hide_clauses(guidelines, SPAM) == "§12"
        assert hide_clauses(guidelines, INSULT) == "§11"
        assert hide_clauses(guidelines, PERSONAL_DATA) == "§9"
        assert hide_clauses(guidelines, ANGRY_COMPLAINT) is None

    async def test_the_wiring_hands_meta_and_x_moderators_to_the_desk(
        self, desk: Desk, tmp_path: Path
    ) -> None:
        values: dict[str, object] = {
            "data_dir": tmp_path,
            "meta_page_token": PAGE_TOKEN,
            "x_bearer_token": X_TOKEN,
        }
        settings = Settings(**values)  # type: ignore[arg-type]

        integration = build_channels(settings, desk)

        assert set(desk.moderators) == {Channel.FACEBOOK, Channel.INSTAGRAM, Channel.X}
        assert desk.moderators is integration.moderators
        for close in integration.shutdown:
            await close()


class TestAdapters:
    async def test_meta_moderator_refuses_a_message_without_calling(
        self, graph: MetaGraphStandIn, client: httpx.AsyncClient
    ) -> None:
        moderator = MetaModerator(Channel.FACEBOOK, client, graph.url, SecretStr(PAGE_TOKEN))

        with pytest.raises(PermanentError):
            await moderator.set_hidden({"kind": "message", "recipient_id": "PSID1"}, True)

        assert graph.calls() == []
