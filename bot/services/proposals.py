"""Proposals learned from reviewers: what the knowledge should say, from what people approved.

An approval is recorded together with what it teaches (`learn_from_decision`, in the
approval's unit of work):

- `answer_update`: the reviewer edited the draft and the edit changes facts. Facts are the
  multiset of numbers (amounts, percentages, dates, times), URLs and e-mail addresses in a
  text; a style-only edit keeps them and proposes nothing. The edited text is proposed as
  the first cited entry's answer, and the entry's answer as it was is kept for the diff.
- `alternate_question`: an approved draft cites an entry the customer asked for in words
  that are not yet its question or an alternate question (compared after lower-casing and
  dropping punctuation), in the entry's language, short (at most 200 characters) and a
  single sentence on one line.
- `new_entry`: a person answered (approved with an edit) an enquiry the drafter escalated
  or found no entry for. Questions on one topic are clustered: an open `new_entry`
  proposal whose question shares at least half of the content words (`CLUSTER_THRESHOLD`,
  Jaccard over stemmed, stop-word-free words cut to their first four letters, so
  "liefert"/"liefern" and "Studenten"/"Studierende" meet) gets the enquiry appended.

Repeats fold into one proposal per key, ranked by the number of enquiries it would have
helped. Personal data is never proposed: a text in which `find_personal_data` finds an
e-mail address, phone number, IBAN, order number or address is skipped, except values the
cited entry's answer already publishes (the company's own contacts).

Editors see `open_proposals`, and `accept` (written as a knowledge version through
`bot.services.knowledge_edits`) or `dismiss` them; either way they are not offered again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import difflib
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ConflictError, NotFoundError
from bot.faq.editing import EntryChanges, NewEntry, find_entry_file, read_entry_text
from bot.faq.files import parse_faq_file
from bot.faq.lexical import tokenize
from bot.llm.grounding import find_personal_data
from bot.models import (
    Decision,
    DecisionKind,
    Draft,
    DraftAction,
    FaqEntry,
    Language,
    utc_now,
)
from bot.services.knowledge_edits import AfterCommit, Clock, create_entry, edit_entry
from bot.storage import (
    Database,
    KnowledgeEdit,
    Proposal,
    ProposalKind,
    ProposalStatus,
    UnitOfWork,
)
from bot.storage.report_period import NO_MATCHING_ENTRY

MAX_PHRASING_CHARS = 200
CLUSTER_THRESHOLD = 0.5
_STEM_PREFIX = 4
_WORD = re.compile(r"\w+")
_INNER_SENTENCE_END = re.compile(r"[.!?…]+\s+\S")
_FACT = re.compile(
    r"(?:https?://|www\.)[^\s<>\"]+"  # URLs
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|\d+(?:[.,:/-]\d+)*"  # amounts, percentages, dates, times
)


@dataclass(frozen=True)
class OfferedProposal:
    """A proposal as an editor sees it: for an answer update, the diff against the entry."""

    proposal: Proposal
    diff: str  # unified diff, seen answer -> proposed answer; "" for other kinds


async def learn_from_decision(
    uow: UnitOfWork,
    draft: Draft,
    decision: Decision,
    enquiry_text: str,
    entries: Mapping[str, FaqEntry],
    now: dt.datetime,
) -> list[Proposal]:
    """Record what an approval teaches, in the approval's unit of work (see the module doc).

    Args:
        uow: the open unit of work the approval is recorded in; the caller commits.
        draft: the approved draft.
        decision: its approval (`APPROVED` or `EDITED`); other kinds teach nothing.
        enquiry_text: what the customer wrote.
        entries: the current knowledge entries by id.
        now: when the proposals are recorded.

    Returns:
        The proposals recorded or ranked up.
    """
    if decision.kind not in (DecisionKind.APPROVED, DecisionKind.EDITED):
        return []
    if draft.action is DraftAction.ESCALATE or NO_MATCHING_ENTRY in draft.flags:
        found = await learn_from_escalation_answer(uow, draft, decision, enquiry_text, now)
        return [] if found is None else [found]
    entry = next((entries[i] for i in draft.citations if i in entries), None)
    if entry is None:
        return []
    learned: list[Proposal] = []
    final = (decision.final_text or draft.text).strip()
    if (
        decision.kind is DecisionKind.EDITED
        and facts(final) != facts(draft.text)
        and not _personal(final, published=entry.answer)
    ):
        proposed = {"answer": final, "seen_answer": entry.answer}
        key = _key(ProposalKind.ANSWER_UPDATE, entry.id, final)
        learned.append(
            await uow.proposals.record(
                ProposalKind.ANSWER_UPDATE, key, entry.id, proposed, draft.enquiry_id, now
            )
        )
    phrasing = enquiry_text.strip()
    if _is_new_phrasing(phrasing, entry) and draft.language is entry.language:
        key = _key(ProposalKind.ALTERNATE_QUESTION, entry.id, phrasing)
        learned.append(
            await uow.proposals.record(
                ProposalKind.ALTERNATE_QUESTION,
                key,
                entry.id,
                {"alternate_question": phrasing},
                draft.enquiry_id,
                now,
            )
        )
    return learned


async def learn_from_escalation_answer(
    uow: UnitOfWork, draft: Draft, decision: Decision, enquiry_text: str, now: dt.datetime
) -> Proposal | None:
    """Propose a new entry from a person's answer to an enquiry no entry fitted.

    Only an edited approval counts: the person wrote the answer. The enquiry joins the
    open `new_entry` proposal on the same topic (see `CLUSTER_THRESHOLD`), if any.

    Returns:
        The proposal recorded or ranked up, or None when nothing is learned.
    """
    question, answer = enquiry_text.strip(), (decision.final_text or "").strip()
    if decision.kind is not DecisionKind.EDITED or not question or not answer:
        return None
    if _personal(question) or _personal(answer):
        return None
    words = topic_words(question, draft.language)
    best: tuple[float, Proposal] | None = None
    for open_one in await uow.proposals.offered(now, ProposalKind.NEW_ENTRY):
        if open_one.proposed.get("language") != draft.language.value:
            continue
        overlap = jaccard(words, topic_words(open_one.proposed["question"], draft.language))
        if overlap >= CLUSTER_THRESHOLD and (best is None or overlap > best[0]):
            best = (overlap, open_one)
    key = best[1].key if best else _key(ProposalKind.NEW_ENTRY, draft.language.value, question)
    proposed = {"question": question, "answer": answer, "language": draft.language.value}
    return await uow.proposals.record(
        ProposalKind.NEW_ENTRY, key, None, proposed, draft.enquiry_id, now
    )


async def open_proposals(uow: UnitOfWork, now: dt.datetime) -> list[OfferedProposal]:
    """Open proposals not older than four weeks, most enquiries first, then newest."""
    return [
        OfferedProposal(proposal, _diff(proposal)) for proposal in await uow.proposals.offered(now)
    ]


async def dismiss(uow: UnitOfWork, proposal_id: str, by: str, now: dt.datetime) -> Proposal:
    """Dismiss an open proposal; the caller commits. It is not offered again.

    Raises:
        NotFoundError: there is no such proposal.
        ConflictError: it was already accepted, dismissed, or has expired.
    """
    proposal = await _offered(uow, proposal_id, now)
    if not await uow.proposals.decide(proposal.id, ProposalStatus.DISMISSED, by, now):
        raise ConflictError(f"proposal {proposal_id} was decided meanwhile")
    return await _get(uow, proposal_id)


async def accept(
    db: Database,
    folder: Path,
    proposal_id: str,
    by: str,
    *,
    text: str | None = None,
    new_entry_id: str | None = None,
    after_commit: AfterCommit | None = None,
    clock: Clock = utc_now,
) -> tuple[Proposal, tuple[KnowledgeEdit, ...]]:
    """Apply a proposal to the knowledge folder as a recorded version and mark it accepted.

    The proposal is claimed first (a second click finds it accepted), then applied with
    `edit_entry` or `create_entry`; if applying fails it is open again.

    Args:
        db: the database holding the proposal and the versions.
        folder: the knowledge folder (with `faq/`).
        proposal_id: the proposal.
        by: the editor accepting it.
        text: the editor's version of the proposed text (the answer, or the phrasing).
        new_entry_id: the id of a new entry; derived from its question when not given.
        after_commit: awaited once the version is committed (e.g. a knowledge reload).
        clock: the time recorded.

    Returns:
        The accepted proposal and the versions written.

    Raises:
        NotFoundError: no such proposal, or its entry is gone.
        ConflictError: it was decided or expired, or the entry's answer changed since.
        InputError: the change would change nothing or make the entry invalid.
    """
    now = clock()
    async with db.unit_of_work() as uow:
        proposal = await _offered(uow, proposal_id, now)
        if not await uow.proposals.decide(proposal.id, ProposalStatus.ACCEPTED, by, now):
            raise ConflictError(f"proposal {proposal_id} was decided meanwhile")
        await uow.commit()
    try:
        edits = await _apply(db, folder, proposal, by, text, new_entry_id, after_commit, clock)
    except BaseException:
        async with db.unit_of_work() as uow:
            await uow.proposals.reopen(proposal.id, clock())
            await uow.commit()
        raise
    async with db.unit_of_work() as uow:
        return await _get(uow, proposal_id), edits


def facts(text: str) -> Counter[str]:
    """The multiset of numbers, dates, times, URLs and e-mail addresses in `text`."""
    return Counter(found.rstrip(".,:;!?)").casefold() for found in _FACT.findall(text))


def topic_words(text: str, language: Language) -> frozenset[str]:
    """Stemmed content words cut to four letters: what clustering compares."""
    return frozenset(stem[:_STEM_PREFIX] for stem in tokenize(text, language))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared words over all words of both (0 when both are empty)."""
    return len(a & b) / len(a | b) if a or b else 0.0


def normalise(text: str) -> str:
    """Lower-case words only: how phrasings and proposed texts are compared."""
    return " ".join(_WORD.findall(text.casefold()))


async def _apply(
    db: Database,
    folder: Path,
    proposal: Proposal,
    by: str,
    text: str | None,
    new_entry_id: str | None,
    after_commit: AfterCommit | None,
    clock: Clock,
) -> tuple[KnowledgeEdit, ...]:
    proposed = proposal.proposed
    if proposal.kind is ProposalKind.NEW_ENTRY:
        language = Language(proposed["language"])
        entry = NewEntry(
            id=new_entry_id or _entry_id(proposed["question"], language, proposal.id),
            question=proposed["question"],
            answer=text or proposed["answer"],
            language=language,
        )
        return await create_entry(db, folder, entry, by, after_commit=after_commit, clock=clock)
    entry_id = proposal.entry_id or ""
    seen, current = await asyncio.to_thread(_read_entry, folder, entry_id)
    if proposal.kind is ProposalKind.ANSWER_UPDATE:
        if normalise(current.answer) != normalise(proposed["seen_answer"]):
            raise ConflictError(f"the answer of {entry_id!r} changed since: review it again")
        changes = EntryChanges(answer=text or proposed["answer"])
    else:
        phrase = text or proposed["alternate_question"]
        changes = EntryChanges(alternate_questions=(*current.alternate_questions, phrase))
    edit = await edit_entry(
        db, folder, entry_id, changes, seen, by, after_commit=after_commit, clock=clock
    )
    return (edit,)


def _read_entry(folder: Path, entry_id: str) -> tuple[str, FaqEntry]:
    path = find_entry_file(folder, entry_id)
    return read_entry_text(path), parse_faq_file(path)


async def _offered(uow: UnitOfWork, proposal_id: str, now: dt.datetime) -> Proposal:
    proposal = await _get(uow, proposal_id)
    if not proposal.is_offered(now):
        raise ConflictError(f"proposal {proposal_id} is {proposal.status.value} or expired")
    return proposal


async def _get(uow: UnitOfWork, proposal_id: str) -> Proposal:
    proposal = await uow.proposals.get(proposal_id)
    if proposal is None:
        raise NotFoundError(f"proposal {proposal_id} not found")
    return proposal


def _is_new_phrasing(phrasing: str, entry: FaqEntry) -> bool:
    if not phrasing or len(phrasing) > MAX_PHRASING_CHARS or "\n" in phrasing:
        return False
    if _INNER_SENTENCE_END.search(phrasing) or _personal(phrasing):
        return False
    known = {normalise(q) for q in (entry.question, *entry.alternate_questions)}
    return bool(normalise(phrasing)) and normalise(phrasing) not in known


def _personal(text: str, published: str = "") -> bool:
    """Tell whether `text` holds personal data that `published` does not already show."""
    return any(value not in published for value in find_personal_data(text))


def _key(kind: ProposalKind, scope: str, text: str) -> str:
    raw = "\x1f".join((kind.value, scope, normalise(text)))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _diff(proposal: Proposal) -> str:
    if proposal.kind is not ProposalKind.ANSWER_UPDATE:
        return ""
    lines = difflib.unified_diff(
        proposal.proposed["seen_answer"].splitlines(),
        proposal.proposed["answer"].splitlines(),
        "current",
        "proposed",
        lineterm="",
    )
    return "\n".join(lines)


def _entry_id(question: str, language: Language, proposal_id: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", question).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())[:6]
    slug = "-".join(words)[:60].strip("-") or f"proposal-{proposal_id[:8]}"
    return f"{slug}-{language.value}"
