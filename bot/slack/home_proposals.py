"""The knowledge editor's open proposals on the App Home, and their Accept/Edit/Dismiss.

`proposal_blocks` is pure (offered proposals in, blocks out): per proposal its kind, its
entry, how many enquiries it would have helped (their ids, never customer names), the
proposed text (for an answer update the diff, in a code block) and three buttons whose
value is the proposal id. Only knowledge editors' clicks are acted on; anyone else's is
logged and ignored. After the ack: Accept writes the version (`bot.services.proposals.accept`,
re-indexing after that); Dismiss decides it; both republish the editor's home. Edit opens
the "Edit the FAQ" form prefilled with the proposal applied; saving that form accepts it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from enum import StrEnum
from pathlib import Path

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import ConflictError, InputError, NotFoundError
from bot.faq.editing import EntryChanges, apply_changes, find_entry_file, read_entry_text
from bot.models import Language, utc_now
from bot.services import entry_history
from bot.services.proposals import OfferedProposal, accept, dismiss
from bot.slack.blocks import MAX_SECTION_TEXT, Block, clip, context, escape, quote, section
from bot.slack.interaction import Actor, Body, SlackDesk, action_value, actor_of, text_at
from bot.slack.knowledge_modal import may_edit, open_new_entry_form, reload_after_ack
from bot.slack.knowledge_views import EntryForm, edit_view, read_form
from bot.storage import Proposal, ProposalKind
from bot.wording import HomeWording, counted, home_wording, knowledge_wording

log = logging.getLogger(__name__)

PROPOSALS_SHOWN = 10  # two blocks each; the home view holds 100 blocks in all
LISTED_ENQUIRIES = 10
_FENCE = "```"

# Publishes a person's home again: (client, user id).
Publish = Callable[[AsyncWebClient, str], Awaitable[None]]
# What a click does after the ack: (slack, client, actor, proposal id, publish).
ProposalWork = Callable[
    [SlackDesk, AsyncWebClient, Actor, str, Publish], Coroutine[object, object, None]
]


class ProposalAction(StrEnum):
    """Action ids of a proposal's buttons on the App Home; each button's value is its id."""

    ACCEPT = "home.proposal_accept"
    EDIT = "home.proposal_edit"
    DISMISS = "home.proposal_dismiss"


def proposal_blocks(words: HomeWording, offered: Sequence[OfferedProposal]) -> list[Block]:
    """The open proposals, most enquiries first: a heading, then text and buttons per one."""
    blocks: list[Block] = [section(words.editors_proposals.format(count=len(offered)))]
    if not offered:
        return [*blocks, context(words.proposals_none)]
    for item in offered[:PROPOSALS_SHOWN]:
        blocks += [section(_proposal_text(words, item)), _buttons(words, item.proposal.id)]
    hidden = len(offered) - PROPOSALS_SHOWN
    if hidden > 0:
        blocks.append(context(words.proposals_more.format(count=hidden)))
    return blocks


def _proposal_text(words: HomeWording, item: OfferedProposal) -> str:
    proposal = item.proposal
    proposed = proposal.proposed
    kinds = {
        ProposalKind.ANSWER_UPDATE: words.proposal_answer_update,
        ProposalKind.ALTERNATE_QUESTION: words.proposal_alternate_question,
        ProposalKind.NEW_ENTRY: words.proposal_new_entry,
    }
    ids = [f"`{escape(i)}`" for i in proposal.enquiry_ids[:LISTED_ENQUIRIES]]
    if proposal.rank > LISTED_ENQUIRIES:
        ids.append(f"+{proposal.rank - LISTED_ENQUIRIES}")
    target = (
        f"`{escape(proposal.entry_id)}`"
        if proposal.entry_id
        else words.proposal_new_entry_target.format(language=proposed.get("language", ""))
    )
    head = words.proposal_item.format(
        kind=kinds[proposal.kind],
        target=target,
        enquiries=words.proposal_enquiries.format(
            enquiries=counted(proposal.rank, "enquiry", "enquiries"), ids=", ".join(ids)
        ),
    )
    if proposal.kind is ProposalKind.ANSWER_UPDATE:
        body = _code(item.diff, MAX_SECTION_TEXT - len(head) - 1)
    elif proposal.kind is ProposalKind.ALTERNATE_QUESTION:
        body = words.proposal_question.format(text=quote(proposed["alternate_question"]))
    else:
        body = "\n".join(
            (
                words.proposal_question.format(text=quote(proposed["question"])),
                words.proposal_answer.format(text=quote(proposed["answer"])),
            )
        )
    return clip(f"{head}\n{body}", MAX_SECTION_TEXT)


def _code(text: str, limit: int) -> str:
    """`text` as a mrkdwn code block of at most `limit` characters, fences included."""
    inner = escape(text).replace(_FENCE, "'''")
    return f"{_FENCE}\n{clip(inner, max(limit - 2 * len(_FENCE) - 2, 1))}\n{_FENCE}"


def _buttons(words: HomeWording, proposal_id: str) -> Block:
    labels = (
        (ProposalAction.ACCEPT, words.proposal_accept, "primary"),
        (ProposalAction.EDIT, words.proposal_edit, None),
        (ProposalAction.DISMISS, words.proposal_dismiss, "danger"),
    )
    elements: list[Block] = []
    for action, label, style in labels:
        element: Block = {
            "type": "button",
            "text": {"type": "plain_text", "text": label},
            "action_id": action.value,
            "value": proposal_id,
        }
        if style is not None:
            element["style"] = style
        elements.append(element)
    return {"type": "actions", "elements": elements}


def register_proposals(app: AsyncApp, slack: SlackDesk, publish: Publish) -> None:
    """Attach the listeners of the proposals' buttons; `publish` republishes a home."""
    works: dict[ProposalAction, ProposalWork] = {
        ProposalAction.ACCEPT: _accept,
        ProposalAction.EDIT: _edit,
        ProposalAction.DISMISS: _dismiss,
    }
    for action, work in works.items():
        app.action(action.value)(_listener(slack, action, work, publish))


def _listener(
    slack: SlackDesk, action: ProposalAction, work: ProposalWork, publish: Publish
) -> Callable[[AsyncAck, Body, AsyncWebClient], Awaitable[None]]:
    async def clicked(ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        await ack()
        actor = actor_of(body)
        if not may_edit(slack, actor):
            log.info("user %s may not decide proposals: not a knowledge editor", actor.user_id)
            return
        proposal_id = action_value(body)
        slack.after_ack(action.value, actor, work(slack, client, actor, proposal_id, publish))

    return clicked


async def _accept(
    slack: SlackDesk, client: AsyncWebClient, actor: Actor, proposal_id: str, publish: Publish
) -> None:
    words = home_wording()
    folder = _folder(slack)
    try:
        _, edits = await accept(
            slack.desk.db,
            folder,
            proposal_id,
            actor.user_id,
            after_commit=reload_after_ack(slack, actor),
        )
    except ConflictError:
        still_open = await _offered(slack, proposal_id)
        said = words.proposal_conflict if still_open else words.proposal_gone
    except NotFoundError:
        said = words.proposal_gone
    except InputError:
        said = words.proposal_invalid
    else:
        last = edits[-1]
        log.info("proposal %s accepted by %s as %s", proposal_id, actor.user_id, last.entry_id)
        said = words.proposal_accepted.format(entry=last.entry_id, version=last.version)
    await publish(client, actor.user_id)
    await _tell(client, actor.user_id, said)


async def _dismiss(
    slack: SlackDesk, client: AsyncWebClient, actor: Actor, proposal_id: str, publish: Publish
) -> None:
    try:
        async with slack.desk.db.unit_of_work() as uow:
            await dismiss(uow, proposal_id, actor.user_id, utc_now())
            await uow.commit()
    except (ConflictError, NotFoundError):
        await _tell(client, actor.user_id, home_wording().proposal_gone)
    else:
        log.info("proposal %s dismissed by %s", proposal_id, actor.user_id)
    await publish(client, actor.user_id)


async def _edit(
    slack: SlackDesk, client: AsyncWebClient, actor: Actor, proposal_id: str, publish: Publish
) -> None:
    proposal = await _offered(slack, proposal_id)
    if proposal is None:
        await _tell(client, actor.user_id, home_wording().proposal_gone)
        await publish(client, actor.user_id)
        return
    proposed = proposal.proposed
    if proposal.kind is ProposalKind.NEW_ENTRY:
        form = EntryForm(question=proposed["question"], answer=proposed["answer"])
        language = Language(proposed["language"])
        note = knowledge_wording().from_proposal
        await open_new_entry_form(slack, actor, form, language, note=note, proposal_id=proposal.id)
        return
    folder, entry_id = _folder(slack), proposal.entry_id or ""
    try:
        path, text = await asyncio.to_thread(_read_entry, folder, entry_id)
    except NotFoundError:
        await _tell(client, actor.user_id, home_wording().proposal_gone)
        return
    history = await entry_history(slack.desk.db, folder, entry_id)
    shown = _applied(text, proposal)
    view = edit_view(entry_id, path.name, text, history, shown=shown, proposal_id=proposal.id)
    await slack.open_view(actor, view)


def _applied(text: str, proposal: Proposal) -> str:
    """The entry file's text with the proposal applied (as it is, if it cannot be)."""
    proposed = proposal.proposed
    if proposal.kind is ProposalKind.ANSWER_UPDATE:
        changes = EntryChanges(answer=proposed["answer"])
    else:
        known = read_form(text).alternate_questions
        changes = EntryChanges(alternate_questions=(*known, proposed["alternate_question"]))
    try:
        return apply_changes(text, changes)
    except InputError:
        return text


async def _offered(slack: SlackDesk, proposal_id: str) -> Proposal | None:
    async with slack.desk.db.unit_of_work() as uow:
        proposal = await uow.proposals.get(proposal_id)
    return proposal if proposal is not None and proposal.is_offered(utc_now()) else None


def _folder(slack: SlackDesk) -> Path:
    if slack.knowledge_dir is None:
        raise NotFoundError("no knowledge folder is configured for the App Home's proposals")
    return slack.knowledge_dir


def _read_entry(folder: Path, entry_id: str) -> tuple[Path, str]:
    path = find_entry_file(folder, entry_id)
    return path, read_entry_text(path)


async def _tell(client: AsyncWebClient, user_id: str, text: str) -> None:
    """A word to the editor in their DM with the app (a home click has no channel)."""
    opened = await client.conversations_open(users=user_id)
    await client.chat_postMessage(channel=text_at(opened.data, "channel", "id"), text=text)
