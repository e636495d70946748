"""Knowledge edits: change, create or restore an entry's file and record the version.

The knowledge folder stays the source of truth; the database keeps its history. Each use
case writes the file and records the version (who, when, the file's text before and
after) in one transaction: the version row is inserted first, the file written inside the
transaction, and only then is it committed. If writing fails, the transaction rolls back;
if the commit fails, the file is put back as it was. An edit is refused with a
`ConflictError` when the file changed since the editor loaded it, or when another editor
saved the same entry at the same moment (the version number is unique per entry), so two
editors never silently overwrite each other.

Re-indexing: the service's knowledge watcher (`bot.jobs.watch_knowledge`) notices changed
files within seconds. An editor inside the running service (the Slack modal) does not wait
for it: it passes `after_commit`, which runs once the version is committed, e.g.

    await edit_entry(
        desk.db, folder, entry_id, changes, seen_text, user_id,
        after_commit=functools.partial(reload_knowledge, desk, open_knowledge),
    )

so the next draft, and the stale-draft guard, see the new text at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.errors import BotError, ConflictError, InputError, NotFoundError
from bot.faq.editing import (
    EntryChanges,
    NewEntry,
    apply_changes,
    check_unchanged,
    find_entry_file,
    new_entry_path,
    read_entry_text,
    render_new_entry,
    write_entry_file,
)
from bot.faq.indexing import knowledge_key
from bot.models import utc_now
from bot.storage import Database, EditAction, KnowledgeEdit, UnitOfWork

# Runs after the version is committed, e.g. a reload of the service's knowledge.
AfterCommit = Callable[[], Awaitable[None]]
Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class _Planned:
    """One file to write: where, the text it must still have (None: absent), the new text."""

    entry_id: str
    path: Path
    action: EditAction
    before: str | None
    after: str


async def edit_entry(
    db: Database,
    folder: Path,
    entry_id: str,
    changes: EntryChanges,
    seen_text: str,
    edited_by: str,
    *,
    after_commit: AfterCommit | None = None,
    clock: Clock = utc_now,
) -> KnowledgeEdit:
    """Change an entry's fields in its file and record the new version.

    Args:
        db: where versions are recorded.
        folder: the knowledge folder (with `faq/`).
        entry_id: the entry to change.
        changes: the fields to change; the rest of the file stays as it is.
        seen_text: the file's text the editor loaded (or its `bot.faq.editing.text_digest`).
        edited_by: who edits (a Slack user id, an OS user name).
        after_commit: awaited once the version is committed (see the module docstring).
        clock: the time recorded as `edited_at`.

    Returns:
        The recorded version, with the file's text before and after.

    Raises:
        NotFoundError: no file holds `entry_id`.
        ConflictError: the file changed since `seen_text` was loaded, or another editor
            saved the entry at the same moment; nothing was written.
        InputError: the changes change nothing, empty the question or answer, or would
            make the entry unreadable; nothing was written.
    """
    editor = _editor(edited_by)

    def plan() -> _Planned:
        path = find_entry_file(folder, entry_id)
        current = check_unchanged(path, seen_text)
        after = apply_changes(current, changes)
        if after == current:
            raise InputError(f"the edit changes nothing in {entry_id!r}")
        return _Planned(entry_id, path, EditAction.EDIT, current, after)

    planned = await asyncio.to_thread(plan)
    async with db.unit_of_work() as uow:
        (edit,) = await _record_and_write(uow, folder, [planned], editor, clock())
    if after_commit is not None:
        await after_commit()
    return edit


async def create_entry(
    db: Database,
    folder: Path,
    entry: NewEntry,
    edited_by: str,
    *,
    translation: NewEntry | None = None,
    after_commit: AfterCommit | None = None,
    clock: Clock = utc_now,
) -> tuple[KnowledgeEdit, ...]:
    """Write a new entry's file, or a pair of translations linked to each other.

    With `translation`, both files are written in one transaction and each names the
    other in `translation_of`; either both are written or neither.

    Returns:
        The recorded versions, `entry`'s first.

    Raises:
        ConflictError: an entry with one of the ids exists already; nothing was written.
        InputError: a bad id, an empty question or answer, a translation in the same
            language or with the same id; nothing was written.
    """
    editor = _editor(edited_by)
    entries = [entry]
    if translation is not None:
        if translation.id == entry.id or translation.language is entry.language:
            raise InputError("a translation needs an id and a language of its own")
        entries = [
            dataclasses.replace(entry, translation_of=translation.id),
            dataclasses.replace(translation, translation_of=entry.id),
        ]

    def plan() -> list[_Planned]:
        return [
            _Planned(
                new.id,
                new_entry_path(folder, new.id),
                EditAction.CREATE,
                None,
                render_new_entry(new),
            )
            for new in entries
        ]

    planned = await asyncio.to_thread(plan)
    async with db.unit_of_work() as uow:
        edits = await _record_and_write(uow, folder, planned, editor, clock())
    if after_commit is not None:
        await after_commit()
    return edits


async def restore_version(
    db: Database,
    folder: Path,
    entry_id: str,
    version: int,
    edited_by: str,
    *,
    after_commit: AfterCommit | None = None,
    clock: Clock = utc_now,
) -> KnowledgeEdit:
    """Write an older version's text back to the entry's file, recorded as a new version.

    The file is written again when it was deleted meanwhile.

    Returns:
        The new version (action `restore`).

    Raises:
        NotFoundError: the entry has no such version.
        ConflictError: another editor saved the entry at the same moment.
        InputError: the file already reads as that version, or the old text no longer
            loads; nothing was written.
    """
    editor = _editor(edited_by)
    async with db.unit_of_work() as uow:
        old = await uow.knowledge_edits.get(knowledge_key(folder), entry_id, version)
        if old is None:
            raise NotFoundError(f"{entry_id!r} has no version {version}")

        def plan() -> _Planned:
            try:
                path = find_entry_file(folder, entry_id)
            except NotFoundError:
                path = new_entry_path(folder, entry_id)
                return _Planned(entry_id, path, EditAction.RESTORE, None, old.after)
            current = read_entry_text(path)
            if current == old.after:
                raise InputError(f"{entry_id!r} already reads as version {version}")
            return _Planned(entry_id, path, EditAction.RESTORE, current, old.after)

        planned = await asyncio.to_thread(plan)
        (edit,) = await _record_and_write(uow, folder, [planned], editor, clock())
    if after_commit is not None:
        await after_commit()
    return edit


async def entry_history(db: Database, folder: Path, entry_id: str) -> list[KnowledgeEdit]:
    """Return the recorded versions of an entry in `folder`, newest first."""
    async with db.unit_of_work() as uow:
        return await uow.knowledge_edits.versions(knowledge_key(folder), entry_id)


async def _record_and_write(
    uow: UnitOfWork,
    folder: Path,
    planned: Sequence[_Planned],
    edited_by: str,
    edited_at: dt.datetime,
) -> tuple[KnowledgeEdit, ...]:
    """Insert the versions, write the files, commit; undo the files if anything fails.

    The versions go in first: a second editor's insert of the same version number waits
    for this transaction (PostgreSQL) or cannot start before it ends (SQLite's write lock),
    so by the time it writes, this one's file is there for its own check to see.
    """
    key = knowledge_key(folder)
    edits = tuple(
        [
            await uow.knowledge_edits.append(
                key, item.entry_id, item.action, edited_by, edited_at, item.before, item.after
            )
            for item in planned
        ]
    )
    written: list[_Planned] = []
    try:
        for item in planned:
            await asyncio.to_thread(_write, item)
            written.append(item)
        await uow.commit()
    except BaseException:
        _undo(written)
        raise
    return edits


def _write(item: _Planned) -> None:
    """Write the file if it still holds what the plan was based on."""
    if item.before is None:
        if item.path.exists():
            raise ConflictError(f"faq/{item.path.name} was created meanwhile by someone else")
    else:
        check_unchanged(item.path, item.before)
    write_entry_file(item.path, item.after)


def _undo(written: Sequence[_Planned]) -> None:
    """Put back the files this transaction wrote, unless someone changed them since."""
    for item in reversed(written):
        # Best effort: the original failure is what the caller must see.
        with contextlib.suppress(OSError, BotError):
            if read_entry_text(item.path) != item.after:
                continue
            if item.before is None:
                item.path.unlink()
            else:
                write_entry_file(item.path, item.before)


def _editor(edited_by: str) -> str:
    editor = edited_by.strip()
    if not editor:
        raise InputError("say who edits: the editor's name must not be empty")
    return editor
