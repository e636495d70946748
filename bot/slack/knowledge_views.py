"""Pure Block Kit views of the "Edit the FAQ" modal: pick an entry, then edit or create it.

Nothing here does I/O and every word comes from `prompts/knowledge/en.yaml`. The edit view
carries the entry's id and the `text_digest` of the file text it shows in
`private_metadata`, so saving is refused when the file changed meanwhile.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import frontmatter
import yaml

from bot.errors import InputError
from bot.faq.editing import changed_fields, text_digest
from bot.models import FaqEntry, Language
from bot.slack.blocks import (
    INPUT_ACTION,
    Block,
    clip,
    context,
    escape,
    input_block,
    option,
    section,
)
from bot.storage import KnowledgeEdit
from bot.wording import knowledge_wording

SHORTCUT_EDIT_KNOWLEDGE = "replydesk.edit_knowledge"
ENTRY_SELECT = "knowledge.entry"  # the external_select's action id; options are loaded for it
NEW_ENTRY = "+new"  # an option value no entry id can have (ids start with a letter or digit)
MAX_OPTIONS = 100  # Slack's limit for an options response
HISTORY_SHOWN = 5
_MAX_TITLE = 24
_MAX_INPUT = 3000


class KnowledgeForm(StrEnum):
    """Callback ids of the modal's views."""

    PICK = "knowledge.pick_form"
    EDIT = "knowledge.edit_form"
    REFUSAL = "knowledge.refusal"


class KnowledgeField(StrEnum):
    """Block ids of the modal's inputs; each input's action id is `INPUT_ACTION`."""

    ENTRY = "entry"
    ID = "entry_id"
    LANGUAGE = "language"
    QUESTION = "question"
    ALTERNATES = "alternate_questions"
    ANSWER = "answer"
    TAGS = "tags"
    VALID_UNTIL = "valid_until"
    TRANSLATION_QUESTION = "translation_question"  # new entries: the other language, optional
    TRANSLATION_ANSWER = "translation_answer"


@dataclass(frozen=True)
class EntryForm:
    """An entry's editable fields as the modal shows them."""

    question: str = ""
    alternate_questions: tuple[str, ...] = ()
    answer: str = ""
    tags: tuple[str, ...] = ()
    valid_until: dt.date | None = None


@dataclass(frozen=True)
class KnowledgeMetadata:
    """What the edit view remembers: the entry ("" for a new one), the digest, a proposal.

    `proposal` is the proposal a successful save accepts ("" for none).
    """

    entry_id: str = ""
    seen: str = ""
    proposal: str = ""

    def encode(self) -> str:
        """Serialise into a view's private_metadata."""
        return json.dumps({"entry": self.entry_id, "seen": self.seen, "proposal": self.proposal})

    @classmethod
    def decode(cls, raw: str) -> KnowledgeMetadata:
        """Read it back from a view submission.

        Raises:
            InputError: The metadata is not what `encode` wrote.
        """
        try:
            data = json.loads(raw)
            return cls(str(data["entry"]), str(data["seen"]), str(data.get("proposal", "")))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError("knowledge modal metadata is unreadable") from exc


def read_form(text: str) -> EntryForm:
    """The editable fields of an entry file's text (empty where the file is unreadable)."""
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError):
        return EntryForm(answer=text.strip())
    meta = post.metadata
    until = meta.get("valid_until")
    if isinstance(until, str):
        try:
            until = dt.date.fromisoformat(until)
        except ValueError:
            until = None
    return EntryForm(
        question=str(meta.get("question") or ""),
        alternate_questions=_strings(meta.get("alternate_questions")),
        answer=post.content.strip(),
        tags=_strings(meta.get("tags")),
        valid_until=until if isinstance(until, dt.date) else None,
    )


def entry_options(entries: Iterable[FaqEntry], query: str) -> list[Block]:
    """Options for the entry picker: "New entry", then entries matching `query` by id order."""
    words = knowledge_wording()
    needle = query.strip().casefold()
    found = [
        entry
        for entry in sorted(entries, key=lambda entry: entry.id)
        if not needle
        or needle in entry.id.casefold()
        or any(needle in q.casefold() for q in (entry.question, *entry.alternate_questions))
    ]
    options = [option(words.new_entry_option, NEW_ENTRY)]
    options += [
        option(words.option_text.format(id=entry.id, question=entry.question), entry.id)
        for entry in found[: MAX_OPTIONS - 1]
    ]
    return options


def refusal_view() -> Block:
    """The view a person who is not a knowledge editor gets instead of the modal."""
    words = knowledge_wording()
    return _modal(KnowledgeForm.REFUSAL, words.refusal_title, [section(words.refusal)], "")


def pick_view() -> Block:
    """Step 1: pick an entry (typed id or question) or "New entry"."""
    words = knowledge_wording()
    select: Block = {
        "type": "external_select",
        "action_id": ENTRY_SELECT,
        "min_query_length": 0,
        "placeholder": {"type": "plain_text", "text": words.pick_placeholder},
    }
    blocks = [
        _input(KnowledgeField.ENTRY, words.pick_label, select),
        context(words.pick_hint),
    ]
    return _modal(KnowledgeForm.PICK, words.title, blocks, "", submit=words.next)


def edit_view(
    entry_id: str,
    file_name: str,
    text: str,
    history: Sequence[KnowledgeEdit] = (),
    *,
    shown: str | None = None,
    proposal_id: str = "",
) -> Block:
    """Step 2 for an existing entry: its fields prefilled from `text`, its last versions.

    Args:
        entry_id: The entry.
        file_name: Its file's name in `faq/`.
        text: The file's text now; saving is refused when the file no longer has it.
        history: Its last versions, newest first.
        shown: The text to prefill instead (e.g. `text` with a proposal applied).
        proposal_id: The proposal a successful save accepts, if any.
    """
    words = knowledge_wording()
    form = read_form(text if shown is None else shown)
    note = [context(words.from_proposal)] if proposal_id else []
    blocks = [
        section(words.entry_heading.format(id=escape(entry_id), file=escape(file_name))),
        *note,
        *_field_inputs(form),
        section(words.history_heading),
        context(_history_text(history)),
    ]
    metadata = KnowledgeMetadata(entry_id, text_digest(text), proposal_id).encode()
    return _modal(KnowledgeForm.EDIT, words.title, blocks, metadata, submit=words.save)


def new_entry_view(
    form: EntryForm | None = None,
    language: Language | None = None,
    *,
    note: str = "",
    proposal_id: str = "",
) -> Block:
    """Step 2 for a new entry: its id and language, then the same fields (empty by default).

    Args:
        form: The fields to prefill (a proposal's or a sent reply's question and answer).
        language: The language to preselect.
        note: A line saying where the prefilled text comes from.
        proposal_id: The proposal a successful save accepts, if any.
    """
    words = knowledge_wording()
    entry_id: Block = {"type": "plain_text_input", "action_id": INPUT_ACTION, "max_length": 120}
    options = [option(item.value, item.value) for item in Language]
    language_select: Block = {
        "type": "static_select",
        "action_id": INPUT_ACTION,
        "options": options,
    }
    if language is not None:
        language_select["initial_option"] = options[list(Language).index(language)]
    blocks = [
        section(words.new_heading),
        *([context(note)] if note else []),
        _input(KnowledgeField.ID, words.id_label, entry_id),
        context(words.id_hint),
        _input(KnowledgeField.LANGUAGE, words.language_label, language_select),
        *_field_inputs(form or EntryForm()),
        section(words.translation_heading),
        _input(
            KnowledgeField.TRANSLATION_QUESTION,
            words.question_label,
            _text_input(""),
            optional=True,
        ),
        _input(
            KnowledgeField.TRANSLATION_ANSWER,
            words.answer_label,
            _text_input("", multiline=True),
            optional=True,
        ),
    ]
    metadata = KnowledgeMetadata(proposal=proposal_id).encode()
    return _modal(KnowledgeForm.EDIT, words.title, blocks, metadata, submit=words.save)


def _field_inputs(form: EntryForm) -> list[Block]:
    words = knowledge_wording()
    date: Block = {"type": "datepicker", "action_id": INPUT_ACTION}
    if form.valid_until is not None:
        date["initial_date"] = form.valid_until.isoformat()
    return [
        _input(KnowledgeField.QUESTION, words.question_label, _text_input(form.question)),
        _input(
            KnowledgeField.ALTERNATES,
            words.alternates_label,
            _text_input("\n".join(form.alternate_questions), multiline=True),
            optional=True,
        ),
        _input(KnowledgeField.ANSWER, words.answer_label, _text_input(form.answer, multiline=True)),
        _input(
            KnowledgeField.TAGS, words.tags_label, _text_input(", ".join(form.tags)), optional=True
        ),
        _input(KnowledgeField.VALID_UNTIL, words.valid_until_label, date, optional=True),
    ]


def _history_text(history: Sequence[KnowledgeEdit]) -> str:
    words = knowledge_wording()
    lines = [
        words.history_item.format(
            version=edit.version,
            who=f"<@{edit.edited_by}>" if edit.edited_by.startswith(("U", "W")) else edit.edited_by,
            when=edit.edited_at.strftime("%Y-%m-%d %H:%M UTC"),
            fields=", ".join(changed_fields(edit.before, edit.after)) or words.history_no_fields,
        )
        for edit in history[:HISTORY_SHOWN]
    ]
    return "\n".join(lines) or words.history_none


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return ()


def _text_input(value: str, *, multiline: bool = False) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": INPUT_ACTION,
        "multiline": multiline,
        "max_length": _MAX_INPUT,
    }
    if value:
        element["initial_value"] = clip(value, _MAX_INPUT)
    return element


def _input(field: StrEnum, label: str, element: Block, optional: bool = False) -> Block:
    return input_block(field.value, label, element, optional)


def _modal(
    form: KnowledgeForm, title: str, blocks: list[Block], metadata: str, submit: str | None = None
) -> Block:
    words = knowledge_wording()
    view: Block = {
        "type": "modal",
        "callback_id": form.value,
        "title": {"type": "plain_text", "text": clip(title, _MAX_TITLE)},
        "close": {"type": "plain_text", "text": words.cancel if submit else words.close},
        "private_metadata": metadata,
        "blocks": blocks,
    }
    if submit is not None:
        view["submit"] = {"type": "plain_text", "text": clip(submit, _MAX_TITLE)}
    return view
