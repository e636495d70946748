"""Keeps a running service on the current knowledge: re-indexes when FAQ files change.

Knowledge editors change files while reviewers work; the next draft must cite the new text,
and the stale-draft guard must compare with it. Comparing the folder's fingerprint is a stat
of each file, so the watcher looks every 2 seconds. An edit made through the service itself
(`bot.services.knowledge_edits`) need not wait: it passes
`after_commit=functools.partial(reload_knowledge, desk, open_knowledge)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

from bot.faq.opening import OpenedKnowledge
from bot.review import KnowledgeCatalog
from bot.services import Desk

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]
# Reads and re-indexes the knowledge folder (blocking: it runs in a thread).
OpenKnowledge = Callable[[], OpenedKnowledge]
# How often the folder is compared: edits by hand or from another process show within this.
DEFAULT_INTERVAL_SECONDS = 2.0


def fingerprint(folder: Path) -> Fingerprint:
    """Name, size and modification time of every knowledge file: cheap to compare."""
    files = sorted(
        [*folder.glob("faq/*.md"), *folder.glob("guidelines/*.md"), *folder.glob("replies/*.md")]
    )
    return tuple((str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in files)


async def reload_knowledge(desk: Desk, open_knowledge: OpenKnowledge) -> None:
    """Re-index the knowledge folder and point drafting and the catalog at the new version."""
    opened = await asyncio.to_thread(open_knowledge)
    desk.drafting = dataclasses.replace(
        desk.drafting, retriever=opened.retriever, guidelines=opened.knowledge.guidelines
    )
    desk.catalog = KnowledgeCatalog(opened.knowledge)
    log.info(
        "knowledge reloaded: %d added, %d updated, %d removed, %d skipped files",
        opened.report.added,
        opened.report.updated,
        opened.report.removed,
        len(opened.knowledge.errors),
    )


async def watch_knowledge(
    desk: Desk,
    folder: Path,
    open_knowledge: OpenKnowledge,
    stop: asyncio.Event,
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
) -> None:
    """Reload whenever the files in `folder` change, until `stop` is set."""
    seen = fingerprint(folder)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
        current = fingerprint(folder)
        if current != seen and not stop.is_set():
            try:
                await reload_knowledge(desk, open_knowledge)
                seen = current
            except Exception:  # a half-written file must not stop the service
                log.exception("knowledge reload failed; keeping the previous version")
