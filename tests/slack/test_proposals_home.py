"""Proposals on the editor's App Home, and "Save as FAQ" on a sent card.

Against the Slack stand-in over real HTTP with signed requests, on a copy of the fixture
knowledge folder: a reviewer's edited approval proposes an answer update, which an editor
accepts, edits or dismisses from the App Home.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.faq.embedders import UseEmbedder
from bot.faq.files import load_knowledge
from bot.services import entry_history
from bot.slack.blocks import Action, Field, Form
from bot.slack.home_proposals import ProposalAction
from bot.slack.knowledge_views import KnowledgeField, KnowledgeForm, KnowledgeMetadata
from bot.storage import EditAction, ProposalStatus
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.slack.harness import (
    QUESTION,
    REVIEWER,
    ServedApp,
    card_buttons,
    card_text,
    draft_id_on,
    eventually,
    review_card,
    served_app,
    slack_settings,
)
from tests.slack.test_home import blocks_of, open_home, text_of
from tests.slack.test_home_leads import home_action_body
from tests.slack.test_knowledge_modal import save
from tests.stand_ins import JSONObject, SlackStandIn

EDITOR = "U_EDITOR"
ENTRY = "returns-window-de"
EDITED_REPLY = "Hallo Anna, du kannst jeden Artikel innerhalb von 60 Tagen zurückschicken."


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KNOWLEDGE, folder)
    return folder


@pytest.fixture
async def app(
    slack: SlackStandIn, tmp_path: Path, knowledge: Path, use_embedder: UseEmbedder
) -> AsyncIterator[ServedApp]:
    settings = slack_settings(
        tmp_path / "data", slack, knowledge_dir=knowledge, slack_knowledge_editors=EDITOR
    )
    async with served_app(settings, slack, use_embedder) as served:
        yield served


def entry_file(knowledge: Path) -> Path:
    return knowledge / "faq" / f"{ENTRY}.md"


async def approve_with_edit(app: ServedApp, slack: SlackStandIn) -> None:
    """A reviewer approves the draft with the return period changed from 30 to 60 days."""
    await app.enquire()
    await app.click(Action.EDIT, draft_id_on(review_card(slack)))
    await eventually(lambda: slack.count("views.open") == 1)
    metadata = str(slack.calls("views.open")[0].params["view"]["private_metadata"])  # type: ignore[index]
    submitted = await app.submit(Form.EDIT, metadata, {Field.REPLY: {"value": EDITED_REPLY}})
    assert submitted.status_code == 200
    await eventually(lambda: "Sent (message id" in card_text(review_card(slack)))


def proposal_button(view: JSONObject, action: ProposalAction) -> JSONObject:
    """The first proposal's button of `action`, as its click's action."""
    for block in blocks_of(view):
        for element in block.get("elements") or []:  # type: ignore[attr-defined]
            if isinstance(element, dict) and element.get("action_id") == action.value:
                return {**element}
    raise AssertionError(f"the view has no {action.value} button")


async def click_home(app: ServedApp, user: str, view: JSONObject, action: JSONObject) -> None:
    response = await app.post(home_action_body(user, view, action))
    assert response.status_code == 200


def home_shows_proposal(slack: SlackStandIn) -> bool:
    view = slack.home(EDITOR)
    return view is not None and "Updated answer" in text_of(view)


async def proposal_status(app: ServedApp, proposal_id: str) -> ProposalStatus:
    async with app.runtime.desk.db.unit_of_work() as uow:
        proposal = await uow.proposals.get(proposal_id)
    assert proposal is not None
    return proposal.status


class TestProposalsOnTheHome:
    async def test_an_edited_approval_is_proposed_and_accepting_it_changes_the_entry(
        self, app: ServedApp, slack: SlackStandIn, knowledge: Path
    ) -> None:
        await approve_with_edit(app, slack)
        old_hash = app.runtime.desk.catalog.entries[ENTRY].content_hash

        view = await open_home(app, EDITOR)
        shown = text_of(view)
        assert "*Open proposals:* 1" in shown and "Updated answer" in shown
        assert f"`{ENTRY}`" in shown and "would have helped 1 enquiry:" in shown
        assert "```" in shown and "+Hallo Anna" in shown and "-Du kannst" in shown
        accept = proposal_button(view, ProposalAction.ACCEPT)
        await click_home(app, EDITOR, view, accept)

        await eventually(lambda: not home_shows_proposal(slack))
        assert load_knowledge(knowledge).by_id()[ENTRY].answer == EDITED_REPLY
        (version,) = await entry_history(app.runtime.desk.db, knowledge, ENTRY)
        assert (version.action, version.edited_by) == (EditAction.EDIT, EDITOR)
        assert await proposal_status(app, str(accept["value"])) is ProposalStatus.ACCEPTED
        await eventually(
            lambda: app.runtime.desk.catalog.entries[ENTRY].content_hash != old_hash, seconds=30
        )
        republished = slack.home(EDITOR)
        assert republished is not None and "No open proposals." in text_of(republished)

    async def test_dismissing_removes_the_proposal_and_leaves_the_file(
        self, app: ServedApp, slack: SlackStandIn, knowledge: Path
    ) -> None:
        await approve_with_edit(app, slack)
        before = entry_file(knowledge).read_text(encoding="utf-8")
        view = await open_home(app, EDITOR)
        dismiss = proposal_button(view, ProposalAction.DISMISS)

        await click_home(app, EDITOR, view, dismiss)

        await eventually(lambda: not home_shows_proposal(slack))
        assert entry_file(knowledge).read_text(encoding="utf-8") == before
        assert await proposal_status(app, str(dismiss["value"])) is ProposalStatus.DISMISSED
        assert await entry_history(app.runtime.desk.db, knowledge, ENTRY) == []

    async def test_editing_opens_the_entry_with_the_proposal_applied_and_saving_accepts_it(
        self, app: ServedApp, slack: SlackStandIn, knowledge: Path
    ) -> None:
        await approve_with_edit(app, slack)
        view = await open_home(app, EDITOR)
        edit = proposal_button(view, ProposalAction.EDIT)

        await click_home(app, EDITOR, view, edit)

        await eventually(lambda: slack.count("views.open") == 2)
        form = slack.calls("views.open")[1].params["view"]
        assert isinstance(form, dict) and form["callback_id"] == KnowledgeForm.EDIT.value
        assert EDITED_REPLY in json.dumps(form, ensure_ascii=False)
        metadata = KnowledgeMetadata.decode(str(form["private_metadata"]))
        assert (metadata.entry_id, metadata.proposal) == (ENTRY, edit["value"])
        mine = "Du kannst jeden Artikel innerhalb von 60 Tagen nach Erhalt zurückschicken."
        saved = await save(app, form, {KnowledgeField.ANSWER.value: mine})

        assert saved.status_code == 200
        assert load_knowledge(knowledge).by_id()[ENTRY].answer == mine
        await eventually(lambda: slack.count("chat.postEphemeral") >= 1)
        assert await proposal_status(app, str(edit["value"])) is ProposalStatus.ACCEPTED

    async def test_a_click_by_someone_who_is_not_an_editor_changes_nothing(
        self,
        app: ServedApp,
        slack: SlackStandIn,
        knowledge: Path,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.INFO, logger="bot.slack.home_proposals")
        await approve_with_edit(app, slack)
        before = entry_file(knowledge).read_text(encoding="utf-8")
        view = await open_home(app, EDITOR)
        reviewer_view = await open_home(app, REVIEWER)
        assert "Open proposals" not in text_of(reviewer_view)
        accept = proposal_button(view, ProposalAction.ACCEPT)

        await click_home(app, REVIEWER, reviewer_view, accept)
        await click_home(app, REVIEWER, reviewer_view, proposal_button(view, ProposalAction.EDIT))

        await eventually(lambda: caplog.text.count("may not decide proposals") == 2)
        assert entry_file(knowledge).read_text(encoding="utf-8") == before
        assert await proposal_status(app, str(accept["value"])) is ProposalStatus.OPEN
        assert slack.count("views.open") == 1  # the reviewer's own Edit modal only


class TestSaveAsFaq:
    async def test_a_sent_card_offers_save_as_faq_which_opens_the_prefilled_new_entry_form(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        await app.enquire()
        draft_id = draft_id_on(review_card(slack))
        await app.click(Action.APPROVE, draft_id)
        await eventually(lambda: "Sent (message id" in card_text(review_card(slack)))
        assert card_buttons(review_card(slack)) == [Action.SAVE_AS_FAQ.value]
        sent_text = "innerhalb von 30 Tagen"

        await app.click(Action.SAVE_AS_FAQ, draft_id, user=EDITOR)

        await eventually(lambda: slack.count("views.open") == 1)
        form = slack.calls("views.open")[0].params["view"]
        assert isinstance(form, dict) and form["callback_id"] == KnowledgeForm.EDIT.value
        inputs = {
            block["block_id"]: block["element"]
            for block in form["blocks"]
            if isinstance(block, dict) and block.get("type") == "input"
        }
        assert inputs[KnowledgeField.QUESTION.value]["initial_value"] == QUESTION
        assert sent_text in inputs[KnowledgeField.ANSWER.value]["initial_value"]
        assert inputs[KnowledgeField.LANGUAGE.value]["initial_option"]["value"] == "de"
        assert KnowledgeMetadata.decode(str(form["private_metadata"])).entry_id == ""

    async def test_someone_who_is_not_an_editor_gets_the_refusal(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        await app.enquire()
        draft_id = draft_id_on(review_card(slack))
        await app.click(Action.APPROVE, draft_id)
        await eventually(lambda: "Sent (message id" in card_text(review_card(slack)))

        await app.click(Action.SAVE_AS_FAQ, draft_id, user=REVIEWER)

        await eventually(lambda: slack.count("views.open") == 1)
        refusal = slack.calls("views.open")[0].params["view"]
        assert isinstance(refusal, dict)
        assert refusal["callback_id"] == KnowledgeForm.REFUSAL.value
        assert QUESTION not in json.dumps(refusal, ensure_ascii=False)


def test_the_proposal_id_survives_the_modal_metadata() -> None:
    raw = KnowledgeMetadata("e", "d", "p1").encode()
    assert KnowledgeMetadata.decode(raw) == KnowledgeMetadata("e", "d", "p1")
    old = json.dumps({"entry": "e", "seen": "d"})
    assert KnowledgeMetadata.decode(old).proposal == ""
