"""Changes one FAQ entry's file, or writes a new one, refusing when the file moved on meanwhile.

An editor loads an entry's file, changes some of its fields and saves. Saving applies the
changes to the file as it is now, but only if it still reads as the editor saw it
(`check_unchanged`); otherwise the save is refused with a `ConflictError` and the file is
left alone, so no one silently overwrites someone else's change. Only the fields an edit
names change: every other front-matter key, and the file's name, stay as they were.
Files are written as the bulk import writes them (`bot.faq.importing.write_entry_file`):
to a temporary file, read back with the knowledge loader, then renamed over the target.

Usage:
    path = find_entry_file(knowledge_dir, "returns-window-de")
    seen = path.read_text(encoding="utf-8")
    after = apply_changes(seen, EntryChanges(answer="Within 14 days."))
    check_unchanged(path, seen)
    write_entry_file(path, after)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import frontmatter
import yaml

from bot.errors import ConflictError, InputError, NotFoundError
from bot.faq.importing import ENTRY_ID_PATTERN, entry_files, render_entry, write_entry_file
from bot.models import Language

__all__ = [
    "KEEP",
    "EntryChanges",
    "Keep",
    "NewEntry",
    "apply_changes",
    "changed_fields",
    "check_unchanged",
    "find_entry_file",
    "new_entry_path",
    "read_entry_text",
    "render_new_entry",
    "text_digest",
    "write_entry_file",
]

# The fields an editor may change, as the front matter names them ("answer" is the body).
EDITABLE_FIELDS = ("question", "alternate_questions", "answer", "tags", "valid_until")


class Keep(Enum):
    """Marks a field that an edit leaves as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class EntryChanges:
    """What an edit changes; every field left at `KEEP` stays as the file has it.

    An empty `alternate_questions` or `tags`, or `valid_until=None`, removes the key.
    """

    question: str | Keep = KEEP
    alternate_questions: tuple[str, ...] | Keep = KEEP
    answer: str | Keep = KEEP
    tags: tuple[str, ...] | Keep = KEEP
    valid_until: dt.date | None | Keep = KEEP


@dataclass(frozen=True)
class NewEntry:
    """A new FAQ entry, written to `faq/<id>.md`."""

    id: str
    question: str
    answer: str
    language: Language
    alternate_questions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    valid_until: dt.date | None = None
    translation_of: str | None = None


def text_digest(text: str) -> str:
    """The sha256 hex digest of a file's text: what an editor may keep instead of the text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def find_entry_file(knowledge_dir: Path, entry_id: str) -> Path:
    """Return the file in `knowledge_dir/faq` that holds `entry_id`, whatever it is called.

    Raises:
        NotFoundError: no file there holds that id.
    """
    folder = knowledge_dir / "faq"
    likely = folder / f"{entry_id}.md"
    if ENTRY_ID_PATTERN.match(entry_id) and _holds(likely, entry_id):
        return likely
    found = entry_files(folder).get(entry_id)
    if found is None:
        raise NotFoundError(f"no FAQ entry {entry_id!r} in {folder}")
    return found


def new_entry_path(knowledge_dir: Path, entry_id: str) -> Path:
    """Return where a new entry's file goes, `faq/<id>.md`.

    Raises:
        InputError: the id is not usable as a file name.
        ConflictError: an entry with that id, or a file of that name, exists already.
    """
    if not ENTRY_ID_PATTERN.match(entry_id):
        raise InputError(f"id {entry_id!r} may only hold letters, digits, '-', '_' and '.'")
    folder = knowledge_dir / "faq"
    path = folder / f"{entry_id}.md"
    if path.exists() or entry_id in entry_files(folder):
        raise ConflictError(f"the FAQ entry {entry_id!r} exists already")
    return path


def read_entry_text(path: Path) -> str:
    """Read an entry file's text with line ends made newlines: what editors load, versions keep."""
    return path.read_text(encoding="utf-8")


def check_unchanged(path: Path, seen: str) -> str:
    """Return the file's current text if it still reads as `seen`.

    Args:
        path: the entry's file.
        seen: the text the editor loaded, or its `text_digest`.

    Raises:
        ConflictError: the file changed (or disappeared) since; nothing should be written.
    """
    try:
        current = read_entry_text(path)
    except FileNotFoundError:
        raise ConflictError(f"faq/{path.name} was removed since it was loaded") from None
    if current != seen and text_digest(current) != seen:
        raise ConflictError(
            f"faq/{path.name} changed since it was loaded: load it again and redo the change"
        )
    return current


def apply_changes(text: str, changes: EntryChanges) -> str:
    """Return the entry file `text` with `changes` applied; every other key is kept.

    Raises:
        InputError: the file's front matter cannot be read, or a change empties the
            question or the answer.
    """
    meta, body = _split(text)
    if not isinstance(changes.question, Keep):
        meta["question"] = _required(changes.question, "question")
    if not isinstance(changes.answer, Keep):
        body = _required(changes.answer, "answer")
    for key, items in (
        ("alternate_questions", changes.alternate_questions),
        ("tags", changes.tags),
    ):
        if isinstance(items, Keep):
            continue
        cleaned = [item.strip() for item in items if item.strip()]
        if cleaned:
            meta[key] = cleaned
        else:
            meta.pop(key, None)
    if not isinstance(changes.valid_until, Keep):
        if changes.valid_until is None:
            meta.pop("valid_until", None)
        else:
            meta["valid_until"] = changes.valid_until
    return render_entry(meta, body)


def render_new_entry(entry: NewEntry) -> str:
    """Return the file text of a new entry, its keys in the order the import writes them."""
    meta: dict[str, object] = {
        "id": entry.id,
        "question": _required(entry.question, "question"),
        "language": entry.language.value,
    }
    alternates = [item.strip() for item in entry.alternate_questions if item.strip()]
    if alternates:
        meta["alternate_questions"] = alternates
    tags = [item.strip() for item in entry.tags if item.strip()]
    if tags:
        meta["tags"] = tags
    if entry.translation_of:
        meta["translation_of"] = entry.translation_of
    if entry.valid_until is not None:
        meta["valid_until"] = entry.valid_until
    return render_entry(meta, _required(entry.answer, "answer"))


def changed_fields(before: str | None, after: str) -> tuple[str, ...]:
    """Name the fields that differ between two texts of an entry file, in a stable order.

    The editable fields come first, then any other front-matter key that changed. A text
    whose front matter cannot be read counts as having no fields.
    """
    old_meta, old_body = _split_leniently(before or "")
    new_meta, new_body = _split_leniently(after)
    changed = [
        name
        for name in EDITABLE_FIELDS
        if (old_body != new_body if name == "answer" else old_meta.get(name) != new_meta.get(name))
    ]
    others = sorted({*old_meta, *new_meta} - set(EDITABLE_FIELDS))
    changed += [key for key in others if old_meta.get(key) != new_meta.get(key)]
    return tuple(changed)


def _holds(path: Path, entry_id: str) -> bool:
    if not path.is_file():
        return False
    meta, _ = _split_leniently(read_entry_text(path))
    return str(meta.get("id", "")).strip() == entry_id


def _split(text: str) -> tuple[dict[str, object], str]:
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError):
        raise InputError("the entry's front matter is not valid YAML: fix the file first") from None
    return dict(post.metadata), post.content.strip()


def _split_leniently(text: str) -> tuple[dict[str, object], str]:
    try:
        return _split(text)
    except InputError:
        return {}, text.strip()


def _required(text: str, name: str) -> str:
    cleaned = text.replace("\r\n", "\n").strip()
    if not cleaned:
        raise InputError(f"the {name} must not be empty")
    return cleaned
