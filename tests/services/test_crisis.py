"""Crisis, priority and second sign-off, end to end on a real database and the real models.

A burst of "app down" posts raises one alert with a holding statement; the lead approves it
once, every card offers it with the customer's greeting, a batch approval sends one reply per
enquiry; press posts wait for a lead; the angry safety post comes before an earlier question.
Each test runs on SQLite and on PostgreSQL (skipped where no server answers).
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.crisis.policy import CrisisPolicy
from bot.drafting.offline import OfflineDrafter
from bot.drafting.pipeline import DraftingContext
from bot.faq.opening import OpenedKnowledge
from bot.models import Channel, InboundMessage, Language, Register
from bot.review import KnowledgeCatalog, current_draft
from bot.services import Desk, Outcome, approve_draft, draft_next, receive_enquiry, take_in
from bot.services.crisis import approve_batch, approve_statement, end_spike
from bot.services.sign_off import HOLDING_STATEMENT
from bot.services.spike_watch import announce_spikes, watch_spikes
from bot.storage import Database
from bot.storage.review_queue import waiting_for_review
from tests.fakes.ports import RecordingBoard
from tests.services.harness import Clock

LEAD = "U_LEAD"
REVIEWER = "U_REVIEWER"
FIRST_NAMES = ("Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Jonas", "Lea")
APP_DOWN = (
    "Die App ist schon wieder down, ich komme nicht mehr rein!",
    "App geht seit einer Stunde nicht, Login lädt ewig. Was ist da los?",
    "Your app is down again, can't log in at all",
    "Störung? Die App stürzt bei jedem Start ab.",
    "app down?? nothing loads, I can't order anything",
)


@pytest.fixture
async def desk(database: Database, sample_knowledge: OpenedKnowledge) -> Desk:
    drafting = DraftingContext(
        sample_knowledge.retriever, sample_knowledge.knowledge.guidelines, OfflineDrafter()
    )
    return Desk(
        database,
        drafting,
        KnowledgeCatalog(sample_knowledge.knowledge),
        RecordingBoard(),
        clock=Clock(),
        crisis=CrisisPolicy(leads=frozenset({LEAD})),
    )


def post(number: int, text: str, channel: Channel = Channel.FACEBOOK) -> InboundMessage:
    name = FIRST_NAMES[number % len(FIRST_NAMES)]
    return InboundMessage(
        channel,
        f"comment-{number}",
        text,
        author_id=f"author-{number}",
        author_name=f"{name} Beispiel",
        reply_target={"comment_id": f"comment-{number}"},
    )


def board(desk: Desk) -> RecordingBoard:
    assert isinstance(desk.board, RecordingBoard)
    return desk.board


async def burst(desk: Desk, count: int = 40, minutes: int = 10) -> list[str]:
    """`count` app-down posts over `minutes`, the watch looking every minute, as the job does."""
    assert isinstance(desk.clock, Clock)
    conversations = []
    step = dt.timedelta(minutes=minutes) / count
    looked = desk.clock()
    for number in range(count):
        receipt = await take_in(desk, post(number, APP_DOWN[number % len(APP_DOWN)]))
        conversations.append(receipt.conversation_id)
        desk.clock.now = desk.clock() + step
        if desk.clock() - looked >= dt.timedelta(minutes=1):
            await watch_spikes(desk)
            await announce_spikes(desk)
            looked = desk.clock()
    await watch_spikes(desk)
    await announce_spikes(desk)
    return conversations


async def quiet_weeks(desk: Desk) -> None:
    """A few app posts at this hour in each of the last four weeks: the quiet baseline."""
    assert isinstance(desk.clock, Clock)
    now = desk.clock()
    for week in range(1, 5):
        desk.clock.now = now - dt.timedelta(weeks=week, minutes=5)
        await take_in(desk, post(1000 + week, "Wie kann ich in der App meine Adresse ändern?"))
    desk.clock.now = now


async def drafts_until_idle(desk: Desk) -> None:
    while await draft_next(desk):
        pass


async def open_spike_id(desk: Desk) -> str:
    async with desk.db.unit_of_work() as uow:
        spikes = await uow.spikes.open_spikes()
    assert len(spikes) == 1
    return spikes[0].id


async def test_a_burst_of_40_app_down_posts_raises_exactly_one_alert_with_a_statement(
    desk: Desk,
) -> None:
    await quiet_weeks(desk)
    await burst(desk)
    for _ in range(3):  # later looks find the spike open: no second alert
        await watch_spikes(desk)
        await announce_spikes(desk)

    alerts = board(desk).alerts
    assert len(alerts) == 1
    alert = next(iter(alerts.values()))[0]
    assert alert.count >= 10
    assert len(alert.examples) == 3
    assert {variant for variant, _ in alert.statement} == {"de_du", "de_sie", "en"}
    assert all("status.nordlicht-home.de" in text for _, text in alert.statement)
    async with desk.db.unit_of_work() as uow:
        assert len(await uow.spikes.open_spikes()) == 1


async def test_an_approved_statement_is_offered_on_all_40_cards_with_each_greeting(
    desk: Desk,
) -> None:
    await quiet_weeks(desk)
    conversations = await burst(desk)
    spike_id = await open_spike_id(desk)

    await approve_statement(desk, spike_id, LEAD, {})
    await drafts_until_idle(desk)

    async with desk.db.unit_of_work() as uow:
        drafts = [await current_draft(uow, c) for c in conversations]
    assert all(d is not None and HOLDING_STATEMENT in d.flags for d in drafts)
    greeted = [d.text for d in drafts if d is not None]
    assert all(name in text for name, text in zip(_names(40), greeted, strict=True))
    assert all("status.nordlicht-home.de" in text for text in greeted)


async def test_a_leads_batch_approval_delivers_40_replies_once_each(desk: Desk) -> None:
    await quiet_weeks(desk)
    conversations = await burst(desk)
    spike_id = await open_spike_id(desk)
    await approve_statement(desk, spike_id, LEAD, {})
    await drafts_until_idle(desk)

    first = await approve_batch(desk, spike_id, LEAD)
    again = await approve_batch(desk, spike_id, LEAD)

    assert (first.approved, again.approved) == (40, 0)
    async with desk.db.unit_of_work() as uow:
        for conversation_id in conversations:
            draft = await current_draft(uow, conversation_id)
            assert draft is not None
            decision = await uow.decisions.for_draft(draft.id)
            assert decision is not None and decision.decided_by == LEAD
            delivery = await uow.deliveries.for_draft(draft.id)
            assert delivery is not None and delivery.text == draft.text


async def test_only_a_lead_may_approve_the_statement(desk: Desk) -> None:
    await quiet_weeks(desk)
    await burst(desk)
    spike_id = await open_spike_id(desk)
    with pytest.raises(Exception, match="lead"):
        await approve_statement(desk, spike_id, REVIEWER, {})


async def test_an_edited_statement_is_what_the_cards_offer(desk: Desk) -> None:
    await quiet_weeks(desk)
    conversations = await burst(desk, count=12, minutes=5)
    spike_id = await open_spike_id(desk)
    edited = "Ja, die App ist gerade gestört. Den Stand findest du auf status.nordlicht-home.de."

    await approve_statement(desk, spike_id, LEAD, {(Language.DE, Register.DU): edited})
    await drafts_until_idle(desk)

    async with desk.db.unit_of_work() as uow:
        texts = [d.text for c in conversations if (d := await current_draft(uow, c))]
    german = [t for t in texts if "gestört" in t]
    assert german and all(edited.split(".")[0] in t for t in german)


async def test_when_the_spike_ends_cards_return_to_normal_drafts(desk: Desk) -> None:
    await quiet_weeks(desk)
    conversations = await burst(desk, count=12, minutes=5)
    spike_id = await open_spike_id(desk)
    await approve_statement(desk, spike_id, LEAD, {})
    await drafts_until_idle(desk)

    assert await end_spike(desk, spike_id)
    await drafts_until_idle(desk)

    async with desk.db.unit_of_work() as uow:
        drafts = [await current_draft(uow, c) for c in conversations]
    assert all(d is not None and HOLDING_STATEMENT not in d.flags for d in drafts)


async def test_a_press_post_is_not_sent_with_only_a_reviewers_approval(desk: Desk) -> None:
    receipt = await take_in(
        desk,
        post(
            1,
            "Ich bin Journalistin bei der Zeitung Nordkurier: Stimmt es, dass Ihre App "
            "Kundendaten verloren hat? Presseanfrage, bitte um Rückmeldung.",
        ),
    )
    async with desk.db.unit_of_work() as uow:
        draft = await current_draft(uow, receipt.conversation_id)
    assert draft is not None

    reviewer = await approve_draft(desk, draft.id, REVIEWER, final_text="Danke, wir melden uns.")
    async with desk.db.unit_of_work() as uow:
        waiting = await uow.deliveries.for_draft(draft.id)
    lead = await approve_draft(desk, draft.id, LEAD, final_text="Danke, wir melden uns.")

    assert reviewer.outcome is Outcome.AWAITING_SIGN_OFF
    assert "press" in reviewer.problems
    assert waiting is None
    assert lead.outcome is Outcome.DONE
    async with desk.db.unit_of_work() as uow:
        delivery = await uow.deliveries.for_draft(draft.id)
    assert delivery is not None


async def test_the_card_shows_who_still_has_to_sign(desk: Desk) -> None:
    receipt = await take_in(
        desk, post(2, "Presseanfrage der Redaktion: Wie viele Kunden sind vom Ausfall betroffen?")
    )
    async with desk.db.unit_of_work() as uow:
        draft = await current_draft(uow, receipt.conversation_id)
    assert draft is not None

    await approve_draft(desk, draft.id, REVIEWER, final_text="Danke, wir melden uns.")

    card = board(desk).latest()
    assert card.sign_off is not None
    assert card.sign_off.waiting_for == "lead"
    assert card.sign_off.signed == ((REVIEWER, "reviewer"),)


async def test_one_person_cannot_sign_twice_for_two(desk: Desk) -> None:
    receipt = await take_in(desk, post(3, "Ich schalte meinen Anwalt ein, das ist Betrug!"))
    async with desk.db.unit_of_work() as uow:
        draft = await current_draft(uow, receipt.conversation_id)
    assert draft is not None

    first = await approve_draft(desk, draft.id, LEAD, final_text="Danke, wir melden uns.")
    second = await approve_draft(desk, draft.id, LEAD, final_text="Danke, wir melden uns.")

    assert (first.outcome, second.outcome) == (Outcome.AWAITING_SIGN_OFF,) * 2


async def test_priority_puts_an_angry_safety_post_before_an_earlier_neutral_question(
    desk: Desk,
) -> None:
    assert isinstance(desk.clock, Clock)
    question = await receive_enquiry(
        desk, post(10, "Wie lange dauert der Versand nach Österreich?")
    )
    desk.clock.now = desk.clock() + dt.timedelta(minutes=5)
    safety = await receive_enquiry(
        desk, post(11, "Euer Wasserkocher hat Funken gesprüht und qualmt!! Das ist gefährlich!")
    )

    assert await draft_next(desk)
    async with desk.db.unit_of_work() as uow:
        drafted_first = await current_draft(uow, safety.conversation_id)
        not_yet = await current_draft(uow, question.conversation_id)
    await drafts_until_idle(desk)
    async with desk.db.engine.connect() as conn:
        waiting = await waiting_for_review(conn)

    assert drafted_first is not None and not_yet is None
    assert [card.conversation_id for card in waiting] == [
        safety.conversation_id,
        question.conversation_id,
    ]
    card = board(desk).latest() if board(desk).cards else None
    assert card is not None


def _names(count: int) -> list[str]:
    return [FIRST_NAMES[number % len(FIRST_NAMES)] for number in range(count)]
