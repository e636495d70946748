"""Bolt listeners of the "Edit the FAQ" global shortcut: knowledge editors change the FAQ.

1. The shortcut opens the picker (knowledge editors only; anyone else gets a refusal view).
   Its `external_select` is fed by the options listener from the loaded knowledge.
2. Submitting the picker answers with `response_action="update"`: the entry's fields
   prefilled from its file, and its last versions (or empty fields for a new entry).
3. Submitting the edit writes the file and records the version (`bot.services.knowledge_edits`)
   before the ack, so a conflict or a bad field is answered in the ack as a field error and
   the modal stays open. Re-indexing and the word to the editor follow the ack.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.errors import ConflictError, InputError, NotFoundError
from bot.faq.editing import (
    EntryChanges,
    NewEntry,
    apply_changes,
    changed_fields,
    find_entry_file,
    read_entry_text,
    text_digest,
)
from bot.faq.importing import ENTRY_ID_PATTERN
from bot.models import Language, utc_now
from bot.services import create_entry, edit_entry, entry_history
from bot.services.knowledge_edits import AfterCommit
from bot.slack.blocks import INPUT_ACTION
from bot.slack.interaction import Actor, Body, SlackDesk, actor_of, text_at
from bot.slack.knowledge_views import (
    ENTRY_SELECT,
    NEW_ENTRY,
    SHORTCUT_EDIT_KNOWLEDGE,
    EntryForm,
    KnowledgeField,
    KnowledgeForm,
    KnowledgeMetadata,
    edit_view,
    entry_options,
    new_entry_view,
    pick_view,
    refusal_view,
)
from bot.storage import ProposalStatus
from bot.wording import knowledge_wording

log = logging.getLogger(__name__)

_STATE = ("state", "values")  # where a submitted view keeps its inputs
Errors = dict[str, str]
_PICKED = KnowledgeField.ENTRY.value


def register_knowledge_modal(app: AsyncApp, slack: SlackDesk) -> None:
    """Attach the "Edit the FAQ" shortcut, its options listener and its submissions."""

    async def shortcut(ack: AsyncAck, body: Body) -> None:
        await ack()
        actor = actor_of(body)
        if may_edit(slack, actor):
            slack.after_ack("knowledge shortcut", actor, slack.open_view(actor, pick_view()))
        else:
            log.info("user %s may not edit knowledge", actor.user_id)
            slack.after_ack("knowledge refusal", actor, slack.open_view(actor, refusal_view()))

    async def options(ack: AsyncAck, body: Body) -> None:
        if not may_edit(slack, actor_of(body)):
            await ack(options=[])
            return
        found = entry_options(slack.desk.catalog.entries.values(), text_at(body, "value"))
        await ack(options=found)

    async def picked(ack: AsyncAck, body: Body, view: Body) -> None:
        actor = actor_of(body)
        choice = text_at(
            view, *_STATE, KnowledgeField.ENTRY.value, ENTRY_SELECT, "selected_option", "value"
        )
        words = knowledge_wording()
        if not may_edit(slack, actor):
            await ack(response_action="update", view=refusal_view())
        elif not choice:
            await ack(response_action="errors", errors={_PICKED: words.pick_missing})
        elif choice == NEW_ENTRY:
            await ack(response_action="update", view=new_entry_view())
        else:
            try:
                path, text = await asyncio.to_thread(_read_entry, _folder(slack), choice)
            except NotFoundError:
                await ack(response_action="errors", errors={_PICKED: words.not_found})
                return
            history = await entry_history(slack.desk.db, _folder(slack), choice)
            await ack(response_action="update", view=edit_view(choice, path.name, text, history))

    async def submitted(ack: AsyncAck, body: Body, view: Body) -> None:
        actor = actor_of(body)
        if not may_edit(slack, actor):
            await ack(response_action="update", view=refusal_view())
            return
        metadata = KnowledgeMetadata.decode(text_at(view, "private_metadata"))
        if metadata.entry_id:
            errors, said = await _save_edit(slack, actor, metadata, view)
        else:
            errors, said = await _save_new(slack, actor, view)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        work = _after_save(slack, actor, said, metadata.proposal)
        slack.after_ack("knowledge saved", actor, work)

    app.shortcut(SHORTCUT_EDIT_KNOWLEDGE)(shortcut)
    app.options(ENTRY_SELECT)(options)
    app.view(KnowledgeForm.PICK.value)(picked)
    app.view(KnowledgeForm.EDIT.value)(submitted)


def may_edit(slack: SlackDesk, actor: Actor) -> bool:
    """Tell whether the actor is a knowledge editor (SLACK_KNOWLEDGE_EDITORS)."""
    return bool(actor.user_id) and actor.user_id in slack.editors


async def open_new_entry_form(
    slack: SlackDesk,
    actor: Actor,
    form: EntryForm,
    language: Language | None,
    *,
    note: str,
    proposal_id: str = "",
) -> None:
    """Open the new-entry form prefilled with `form`; anyone but an editor gets the refusal.

    Saving it creates the entry like the shortcut's form does, and accepts `proposal_id`.
    """
    if not may_edit(slack, actor):
        log.info("user %s may not edit knowledge", actor.user_id)
        await slack.open_view(actor, refusal_view())
        return
    view = new_entry_view(form, language, note=note, proposal_id=proposal_id)
    await slack.open_view(actor, view)


def _folder(slack: SlackDesk) -> Path:
    if slack.knowledge_dir is None:
        raise NotFoundError("no knowledge folder is configured for the Slack modal")
    return slack.knowledge_dir


def _read_entry(folder: Path, entry_id: str) -> tuple[Path, str]:
    path = find_entry_file(folder, entry_id)
    return path, read_entry_text(path)


async def _save_edit(
    slack: SlackDesk, actor: Actor, metadata: KnowledgeMetadata, view: Body
) -> tuple[Errors, str]:
    """Write the edit; return field errors, or the word for the editor."""
    words = knowledge_wording()
    errors, changes = _changes(view)
    if errors:
        return errors, ""
    folder = _folder(slack)

    def changes_nothing() -> bool:
        current = read_entry_text(find_entry_file(folder, metadata.entry_id))
        if text_digest(current) != metadata.seen:
            return False  # edit_entry refuses it as a conflict
        # Compare fields, not text: rewriting the file may reformat untouched YAML.
        return not changed_fields(current, apply_changes(current, changes))

    try:
        if await asyncio.to_thread(changes_nothing):
            return {KnowledgeField.ANSWER.value: words.nothing_changed}, ""
        edit = await edit_entry(
            slack.desk.db,
            folder,
            metadata.entry_id,
            changes,
            metadata.seen,
            actor.user_id,
            after_commit=reload_after_ack(slack, actor),
        )
    except ConflictError:
        log.info("knowledge edit of %s by %s: conflict", metadata.entry_id, actor.user_id)
        return {KnowledgeField.ANSWER.value: words.conflict}, ""
    except NotFoundError:
        return {KnowledgeField.ANSWER.value: words.not_found}, ""
    except InputError:
        return {KnowledgeField.ANSWER.value: words.unreadable}, ""
    log.info("knowledge edit of %s v%d by %s", edit.entry_id, edit.version, actor.user_id)
    return {}, words.saved.format(id=edit.entry_id, version=edit.version)


async def _save_new(slack: SlackDesk, actor: Actor, view: Body) -> tuple[Errors, str]:
    """Write a new entry; return field errors, or the word for the editor."""
    words = knowledge_wording()
    errors, changes = _changes(view)
    entry_id = _value(view, KnowledgeField.ID)
    language = text_at(
        view, *_STATE, KnowledgeField.LANGUAGE.value, INPUT_ACTION, "selected_option", "value"
    )
    if not ENTRY_ID_PATTERN.match(entry_id):
        errors[KnowledgeField.ID.value] = words.bad_id
    if language not in {item.value for item in Language}:
        errors[KnowledgeField.LANGUAGE.value] = words.required
    translated = (
        _value(view, KnowledgeField.TRANSLATION_QUESTION),
        _value(view, KnowledgeField.TRANSLATION_ANSWER),
    )
    if any(translated) and not all(translated):
        missing = (
            KnowledgeField.TRANSLATION_ANSWER
            if translated[0]
            else KnowledgeField.TRANSLATION_QUESTION
        )
        errors[missing.value] = words.translation_incomplete
    if errors:
        return errors, ""
    entry = NewEntry(
        id=entry_id,
        question=str(changes.question),
        answer=str(changes.answer),
        language=Language(language),
        alternate_questions=_tuple(changes.alternate_questions),
        tags=_tuple(changes.tags),
        valid_until=changes.valid_until if isinstance(changes.valid_until, dt.date) else None,
    )
    translation = None
    if all(translated):
        other = Language.EN if entry.language is Language.DE else Language.DE
        translation = NewEntry(
            id=translation_id(entry_id, other),
            question=translated[0],
            answer=translated[1],
            language=other,
            tags=entry.tags,
            valid_until=entry.valid_until,
        )
    try:
        await create_entry(
            slack.desk.db,
            _folder(slack),
            entry,
            actor.user_id,
            translation=translation,
            after_commit=reload_after_ack(slack, actor),
        )
    except ConflictError:
        return {KnowledgeField.ID.value: words.exists}, ""
    except InputError:
        return {KnowledgeField.ID.value: words.bad_id}, ""
    log.info("knowledge entry %s created by %s", entry_id, actor.user_id)
    if translation is not None:
        return {}, words.created.format(id=f"{entry_id} + {translation.id}")
    return {}, words.created.format(id=entry_id)


def translation_id(entry_id: str, language: Language) -> str:
    """The id of an entry's translation: its language suffix swapped, or one added."""
    for suffix in (f"-{item.value}" for item in Language):
        if entry_id.endswith(suffix):
            return f"{entry_id.removesuffix(suffix)}-{language.value}"
    return f"{entry_id}-{language.value}"


def _changes(view: Body) -> tuple[Errors, EntryChanges]:
    """Every editable field as submitted; empty required fields as errors."""
    words = knowledge_wording()
    question = _value(view, KnowledgeField.QUESTION)
    answer = _value(view, KnowledgeField.ANSWER)
    errors: Errors = {
        field.value: words.required
        for field, value in ((KnowledgeField.QUESTION, question), (KnowledgeField.ANSWER, answer))
        if not value
    }
    day = text_at(view, *_STATE, KnowledgeField.VALID_UNTIL.value, INPUT_ACTION, "selected_date")
    try:
        valid_until = dt.date.fromisoformat(day) if day else None
    except ValueError:
        valid_until = None
    lines = _value(view, KnowledgeField.ALTERNATES).splitlines()
    tags = _value(view, KnowledgeField.TAGS).split(",")
    return errors, EntryChanges(
        question=question,
        alternate_questions=tuple(line.strip() for line in lines if line.strip()),
        answer=answer,
        tags=tuple(tag.strip() for tag in tags if tag.strip()),
        valid_until=valid_until,
    )


def reload_after_ack(slack: SlackDesk, actor: Actor) -> AfterCommit:
    """Once the version is committed, re-index in the background: the ack must not wait."""

    async def reload() -> None:
        if slack.desk.reload_knowledge is not None:
            await slack.desk.reload_knowledge()

    async def schedule() -> None:
        slack.after_ack("knowledge reload", actor, reload())

    return schedule


async def _after_save(slack: SlackDesk, actor: Actor, said: str, proposal_id: str) -> None:
    if proposal_id:
        # The editor's version of a proposal is saved: it is decided, not offered again.
        async with slack.desk.db.unit_of_work() as uow:
            accepted = await uow.proposals.decide(
                proposal_id, ProposalStatus.ACCEPTED, actor.user_id, utc_now()
            )
            await uow.commit()
        log.info("proposal %s accepted by %s: %s", proposal_id, actor.user_id, accepted)
    await slack.board.tell(actor.ref, actor.user_id, said)


def _value(view: Body, field: KnowledgeField) -> str:
    return text_at(view, *_STATE, field.value, INPUT_ACTION, "value").strip()


def _tuple(items: object) -> tuple[str, ...]:
    return tuple(str(item) for item in items) if isinstance(items, tuple) else ()
