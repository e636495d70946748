"""The "Edit the FAQ" shortcut: knowledge editors change an entry's file from Slack.

Against the Slack stand-in over real HTTP with signed requests, on a copy of the fixture
knowledge folder. The service's file watcher is taken out, so what re-indexes after a
save is the modal's own reload.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from bot.app import Runtime
from bot.faq.embedders import UseEmbedder
from bot.faq.files import load_knowledge
from bot.services import entry_history
from bot.slack.blocks import Action
from bot.slack.knowledge_views import (
    ENTRY_SELECT,
    NEW_ENTRY,
    SHORTCUT_EDIT_KNOWLEDGE,
    KnowledgeField,
    KnowledgeForm,
)
from bot.storage import EditAction
from bot.wording import knowledge_wording
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.slack.harness import (
    OUTSIDER,
    ServedApp,
    draft_id_on,
    eventually,
    review_card,
    served_app,
    slack_settings,
)
from tests.stand_ins import TEAM_ID, JSONObject, SlackStandIn

EDITOR = "U_EDITOR"
ENTRY = "returns-window-de"
# A submitted view's state: {block id: {action id: value or element state}}.
Values = dict[str, dict[str, str | JSONObject]]
NEW_ANSWER = "Du kannst jeden Artikel innerhalb von 14 Tagen zurückschicken."


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

    async def without_watcher(runtime: Runtime) -> None:
        runtime.background = [job for job in runtime.background if job.__name__ != "watch"]

    async with served_app(settings, slack, use_embedder, before_serving=without_watcher) as served:
        yield served


def _payload(payload: JSONObject) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def _user(user: str) -> JSONObject:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID}


async def use_shortcut(app: ServedApp, user: str) -> httpx.Response:
    """The global shortcut, as Slack posts it."""
    return await app.post(
        _payload(
            {
                "type": "shortcut",
                "token": "stand-in-verification-token",
                "action_ts": f"{int(time.time())}.000001",
                "team": {"id": TEAM_ID, "domain": "replydesk-test"},
                "user": _user(user),
                "is_enterprise_install": False,
                "enterprise": None,
                "callback_id": SHORTCUT_EDIT_KNOWLEDGE,
                "trigger_id": "1111.2222.stand-in-trigger",
            }
        )
    )


async def load_options(app: ServedApp, query: str, user: str = EDITOR) -> list[str]:
    """The entry picker's options for what the editor typed (a block_suggestion)."""
    response = await app.post(
        _payload(
            {
                "type": "block_suggestion",
                "user": _user(user),
                "team": {"id": TEAM_ID, "domain": "replydesk-test"},
                "api_app_id": "A0001",
                "token": "stand-in-verification-token",
                "container": {"type": "view", "view_id": "V0000000001"},
                "action_id": ENTRY_SELECT,
                "block_id": KnowledgeField.ENTRY.value,
                "value": query,
                "view": {"id": "V0000000001", "callback_id": KnowledgeForm.PICK.value},
            }
        )
    )
    assert response.status_code == 200
    return [option["value"] for option in response.json()["options"]]


async def pick(app: ServedApp, choice: str, user: str = EDITOR) -> JSONObject:
    """Submit the picker; return the view Slack is told to show next."""
    selected: JSONObject = {"type": "external_select", "selected_option": {"value": choice}}
    response = await app.submit(
        KnowledgeForm.PICK.value, "", {KnowledgeField.ENTRY: {ENTRY_SELECT: selected}}, user
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "update"
    view = answer["view"]
    assert isinstance(view, dict)
    return view


def prefilled(view: JSONObject) -> Values:
    """Each input of `view` submitted as shown (its initial values)."""
    values: Values = {}
    blocks = view["blocks"]
    assert isinstance(blocks, list)
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") != "input":
            continue
        element = block["element"]
        assert isinstance(element, dict)
        if element["type"] == "datepicker":
            state: JSONObject = {"type": "datepicker", "selected_date": element.get("initial_date")}
        else:
            state = {"type": element["type"], "value": element.get("initial_value")}
        values[str(block["block_id"])] = {"value": state}
    return values


async def save(
    app: ServedApp, view: JSONObject, changes: dict[str, str], user: str = EDITOR
) -> httpx.Response:
    """Submit the edit view with `changes` typed over its prefilled fields."""
    values = prefilled(view)
    for field, text in changes.items():
        values[field] = {"value": {"type": "plain_text_input", "value": text}}
    metadata = str(view["private_metadata"])
    return await app.submit(KnowledgeForm.EDIT.value, metadata, values, user)


def entry_file(knowledge: Path) -> Path:
    return knowledge / "faq" / f"{ENTRY}.md"


class TestEditingAnEntry:
    async def test_an_edit_changes_the_file_records_the_version_reindexes_and_flags_drafts_stale(
        self, app: ServedApp, slack: SlackStandIn, knowledge: Path
    ) -> None:
        await app.enquire()
        draft_id = draft_id_on(review_card(slack))
        old_hash = app.runtime.desk.catalog.entries[ENTRY].content_hash

        assert (await use_shortcut(app, EDITOR)).status_code == 200
        await eventually(lambda: slack.count("views.open") == 1)
        picker = slack.calls("views.open")[0].params["view"]
        assert isinstance(picker, dict) and picker["callback_id"] == KnowledgeForm.PICK.value
        assert (await load_options(app, "rückgaberecht"))[:2] == [NEW_ENTRY, ENTRY]
        assert len(await load_options(app, "")) == 1 + len(app.runtime.desk.catalog.entries)

        form = await pick(app, ENTRY)
        assert "Wie lange gilt das Rückgaberecht?" in json.dumps(form, ensure_ascii=False)
        assert "No versions recorded" in json.dumps(form)
        saved = await save(app, form, {KnowledgeField.ANSWER.value: NEW_ANSWER})

        assert saved.status_code == 200 and saved.content in (b"", b"{}")
        assert load_knowledge(knowledge).by_id()[ENTRY].answer == NEW_ANSWER
        text = entry_file(knowledge).read_text(encoding="utf-8")
        assert "Wie lange gilt das Rückgaberecht?" in text and "translation_of" in text
        (version,) = await entry_history(app.runtime.desk.db, knowledge, ENTRY)
        assert (version.version, version.action, version.edited_by) == (1, EditAction.EDIT, EDITOR)
        await eventually(
            lambda: app.runtime.desk.catalog.entries[ENTRY].content_hash != old_hash, seconds=30
        )
        assert app.runtime.desk.catalog.entries[ENTRY].answer == NEW_ANSWER
        await eventually(lambda: slack.count("chat.postEphemeral") == 1)
        told = slack.calls("chat.postEphemeral")[0].params
        assert told["user"] == EDITOR and "version 1" in str(told["text"])

        await app.click(Action.APPROVE, draft_id)

        await eventually(lambda: slack.count("chat.postEphemeral") == 2)
        warning = slack.calls("chat.postEphemeral")[1].params
        assert f"{ENTRY} changed" in str(warning["blocks"])

        reopened = await pick(app, ENTRY)
        shown = json.dumps(reopened, ensure_ascii=False)
        assert f"v1 · <@{EDITOR}>" in shown and "· answer" in shown

    async def test_a_file_changed_meanwhile_is_refused_with_a_field_error_and_kept(
        self, app: ServedApp, knowledge: Path
    ) -> None:
        form = await pick(app, ENTRY)
        path = entry_file(knowledge)
        other = path.read_text(encoding="utf-8").replace("30 Tagen", "60 Tagen")
        path.write_text(other, encoding="utf-8")

        refused = await save(app, form, {KnowledgeField.ANSWER.value: NEW_ANSWER})

        assert refused.json() == {
            "response_action": "errors",
            "errors": {KnowledgeField.ANSWER.value: knowledge_wording().conflict},
        }
        assert path.read_text(encoding="utf-8") == other
        assert await entry_history(app.runtime.desk.db, knowledge, ENTRY) == []

    async def test_saving_without_a_change_is_refused_with_a_field_error(
        self, app: ServedApp
    ) -> None:
        form = await pick(app, ENTRY)

        refused = await save(app, form, {})

        assert refused.json()["errors"] == {
            KnowledgeField.ANSWER.value: knowledge_wording().nothing_changed
        }

    async def test_a_new_entry_is_written_and_recorded_as_created(
        self, app: ServedApp, knowledge: Path
    ) -> None:
        form = await pick(app, NEW_ENTRY)
        values = prefilled(form)
        values[KnowledgeField.ID.value] = {"value": {"type": "plain_text_input", "value": "gift"}}
        values[KnowledgeField.LANGUAGE.value] = {
            "value": {"type": "static_select", "selected_option": {"value": "en"}}
        }
        values[KnowledgeField.QUESTION.value] = {"value": "Do you gift-wrap?"}
        values[KnowledgeField.ANSWER.value] = {"value": "Yes, for 3 euros."}

        saved = await app.submit(
            KnowledgeForm.EDIT.value, str(form["private_metadata"]), values, EDITOR
        )

        assert saved.status_code == 200 and saved.content in (b"", b"{}")
        assert load_knowledge(knowledge).by_id()["gift"].answer == "Yes, for 3 euros."
        (version,) = await entry_history(app.runtime.desk.db, knowledge, "gift")
        assert version.action is EditAction.CREATE

    async def test_a_new_entry_with_its_translation_is_written_as_a_linked_pair(
        self, app: ServedApp, knowledge: Path
    ) -> None:
        form = await pick(app, NEW_ENTRY)
        values = prefilled(form)
        values[KnowledgeField.ID.value] = {
            "value": {"type": "plain_text_input", "value": "gift-wrap-de"}
        }
        values[KnowledgeField.LANGUAGE.value] = {
            "value": {"type": "static_select", "selected_option": {"value": "de"}}
        }
        values[KnowledgeField.QUESTION.value] = {"value": "Verpackt ihr Geschenke?"}
        values[KnowledgeField.ANSWER.value] = {"value": "Ja, für 3 Euro."}
        values[KnowledgeField.TRANSLATION_QUESTION.value] = {"value": "Do you gift-wrap?"}
        values[KnowledgeField.TRANSLATION_ANSWER.value] = {"value": "Yes, for 3 euros."}

        saved = await app.submit(
            KnowledgeForm.EDIT.value, str(form["private_metadata"]), values, EDITOR
        )

        assert saved.status_code == 200 and saved.content in (b"", b"{}")
        entries = load_knowledge(knowledge).by_id()
        assert entries["gift-wrap-de"].translation_of == "gift-wrap-en"
        assert entries["gift-wrap-en"].translation_of == "gift-wrap-de"
        assert entries["gift-wrap-en"].answer == "Yes, for 3 euros."

    async def test_half_a_translation_is_a_field_error(
        self, app: ServedApp, knowledge: Path
    ) -> None:
        form = await pick(app, NEW_ENTRY)
        values = prefilled(form)
        values[KnowledgeField.ID.value] = {"value": {"type": "plain_text_input", "value": "gift"}}
        values[KnowledgeField.LANGUAGE.value] = {
            "value": {"type": "static_select", "selected_option": {"value": "en"}}
        }
        values[KnowledgeField.QUESTION.value] = {"value": "Do you gift-wrap?"}
        values[KnowledgeField.ANSWER.value] = {"value": "Yes, for 3 euros."}
        values[KnowledgeField.TRANSLATION_QUESTION.value] = {"value": "Verpackt ihr Geschenke?"}

        refused = await app.submit(
            KnowledgeForm.EDIT.value, str(form["private_metadata"]), values, EDITOR
        )

        errors = refused.json()["errors"]
        assert KnowledgeField.TRANSLATION_ANSWER.value in errors
        assert "gift" not in load_knowledge(knowledge).by_id()


class TestRefusal:
    async def test_someone_who_is_not_a_knowledge_editor_is_refused_and_changes_nothing(
        self, app: ServedApp, slack: SlackStandIn, knowledge: Path
    ) -> None:
        before = entry_file(knowledge).read_text(encoding="utf-8")

        await use_shortcut(app, OUTSIDER)
        await eventually(lambda: slack.count("views.open") == 1)
        refusal = slack.calls("views.open")[0].params["view"]
        assert isinstance(refusal, dict)
        assert refusal["callback_id"] == KnowledgeForm.REFUSAL.value
        assert "Only knowledge editors" in json.dumps(refusal)
        assert await load_options(app, "", user=OUTSIDER) == []
        sneaked = await pick(app, ENTRY, user=OUTSIDER)
        assert sneaked["callback_id"] == KnowledgeForm.REFUSAL.value

        assert entry_file(knowledge).read_text(encoding="utf-8") == before
