"""Composes replies without a language model, from `prompts/offline/<language>.yaml`.

It only ever states what a cited entry says, and only the sentences that answer this
customer (`bot.drafting.composition`). Greeting, acknowledgement and escalation lines come
from the templates, the sign-off from the guidelines' voice. Where the knowledge folder
has an approved standard reply (`replies/`), it takes that instead and cites it as
`reply:<id>`: the `thanks` text for praise that asks nothing, the `private_handover` text
where a public reply asks for a direct message. It escalates rather than guess:
when no entry is good enough, when the answer exists only in the other language, when a
Sie channel needs a Du answer it cannot convert, and for legal, press and safety posts.
Spam and posts that need no reply get action `ignore` with the reason as a flag.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.drafting.composition import ReplyParts, fit_to_length, select_sentences
from bot.drafting.concern import concern_topic
from bot.drafting.port import DraftReply, DraftRequest
from bot.drafting.register import to_sie
from bot.drafting.standard_replies import ChosenReply, choose_reply, reply_sentences
from bot.drafting.templates import ReplyTemplates, load_templates
from bot.drafting.triage import Label
from bot.faq.replies import ReplyKind
from bot.models import DraftAction, FaqEntry, Language, Passage, Register
from bot.resources import PROMPTS_DIR

_SHORTER_HINTS = re.compile(r"\b(short|shorter|kürzer|kurz|knapp)\b", re.IGNORECASE)
_PUBLIC_CHANNELS = frozenset({"facebook", "instagram", "x"})
# The order in which an entry's tags name the customer's concern, most specific first.
_TOPICS = ("damaged", "late", "refund", "outages", "billing", "delivery", "returns", "account")


class OfflineDrafter:
    """Template-based drafter; the default when no language model is configured."""

    name = "offline"

    def __init__(self, templates_dir: Path | None = None) -> None:
        self._templates_dir = templates_dir or PROMPTS_DIR / "offline"

    async def draft(self, request: DraftRequest) -> DraftReply:
        """Compose a reply for `request` (see the module docstring for the rules)."""
        return self.compose(request)

    def compose(self, request: DraftRequest) -> DraftReply:
        """Compose synchronously; `draft` is the async port method around it."""
        return _Composer(request, load_templates(self._templates_dir, request.language)).reply()


class _Composer:
    """One reply in the making: the request, its templates and what the draft cites."""

    def __init__(self, request: DraftRequest, templates: ReplyTemplates) -> None:
        self.request = request
        self.templates = templates
        self.register = request.policy.register
        self.roles = request.guidelines
        self.labels = request.triage.labels
        self.flags = sorted(label.value for label in self.labels if label is not Label.QUESTION)
        if request.suspicious_name:
            self.flags.append("suspicious_author_name")
        self.clauses = [self.roles.clause_for(role) for role in ("register", "length")]
        self.confidence = round(request.passages[0].score, 3) if request.passages else 0.0

    def reply(self) -> DraftReply:
        request = self.request
        if request.triage.is_spam:
            return self._ignore("spam")
        if request.no_reply is not None:
            return self._ignore(f"no_reply:{request.no_reply}")
        if request.triage.has(Label.SAFETY):
            # Concern and the one safety step the guidelines allow in public (§10), then a
            # person owns the case; a complaint's apology is part of that concern.
            self.clauses.append(self.roles.clause_for("escalation"))
            return self._escalate("safety", self._line("safety"), "needs_person")
        if request.triage.needs_person:
            self.clauses.append(self.roles.clause_for("escalation"))
            variant = "press" if request.triage.has(Label.PRESS) else "needs_person"
            return self._escalate("needs_person", self._line("escalate", variant))
        cited, unanswered = self._cited_passages()
        if self._is_thanks_only():
            return self._thanks()
        if not cited:
            return self._escalate_unanswered()
        foreign = [p for p in cited if p.entry.language is not request.language]
        if foreign:
            # Pasting an untranslated answer is no reply; a person (or the LLM) translates.
            self.clauses.append(self.roles.clause_for("languages"))
            return self._escalate_unanswered("answer_only_in_other_language", foreign)
        return self._answer(cited, unanswered)

    # -- the cases -------------------------------------------------------------------------

    def _thanks(self) -> DraftReply:
        """The approved thanks text when the folder has one, else the template's line."""
        chosen = self._standard(ReplyKind.THANKS)
        if chosen is None:
            return self._draft(DraftAction.REVIEW, self._line("praise"), (), flag="praise")
        body, essential = reply_sentences(chosen.text)
        return self._draft(
            DraftAction.REVIEW,
            "",
            body,
            essential=essential,
            citations=(chosen.reply.citation,),
            flag="praise",
        )

    def _answer(self, cited: list[Passage], unanswered: int) -> DraftReply:
        body: list[str] = []
        essential: set[int] = set()
        taken = available = 0
        for passage in cited:
            answer = self._answer_in_register(passage.entry)
            if answer is None:
                self.clauses.append(self.roles.clause_for("register"))
                return self._escalate_unanswered("register_unconvertible", cited)
            selection = select_sentences(answer, self.request.text, passage.entry.language)
            essential |= {len(body) + index for index in selection.essential}
            body.extend(selection.sentences)
            taken += len(selection.sentences)
            available += selection.available
        shorter = bool(self.request.hint and _SHORTER_HINTS.search(self.request.hint))
        if shorter:
            # "kürzer": the answer alone; the reviewer asked for less, not for courtesy.
            body, essential = body[:1], {0}
        if unanswered:
            # Answer what the knowledge answers; say openly that a person takes the rest.
            body.append(self._line("unanswered_part"))
            self.clauses.append(self.roles.clause_for("escalation"))
            self.flags.append("part_unanswered")
        private = ""
        citations = [p.entry.id for p in cited]
        if Label.PERSONAL_DATA in self.labels and self.request.channel.value in _PUBLIC_CHANNELS:
            handover = self._standard(ReplyKind.PRIVATE_HANDOVER)
            private = handover.text if handover else self._line("private")
            citations += [handover.reply.citation] if handover else []
            self.clauses.append(self.roles.clause_for("private_message"))
        return self._draft(
            DraftAction.REVIEW,
            "" if shorter else self._opening(cited),
            tuple(body),
            private=private,
            essential=frozenset(essential),
            citations=tuple(citations),
            sentences=(taken, available),
        )

    def _escalate_unanswered(
        self, reason: str = "no_matching_entry", near: list[Passage] | None = None
    ) -> DraftReply:
        self.clauses += [self.roles.clause_for("escalation"), self.roles.clause_for("honesty")]
        if self.labels & {Label.COMPLAINT, Label.SARCASM}:
            # The apology stays: a complaint is taken seriously before anything is known.
            opening = self._opening(near or [])
            public = self.request.channel.value in _PUBLIC_CHANNELS
            variant = "complaint" if public else "complaint_private"
            if concern_topic(self.request.text) == "outages":
                variant = "complaint_outages"  # an outage needs no order number
            handover = self._standard(ReplyKind.PRIVATE_HANDOVER)
            if variant == "complaint" and handover is not None:
                # In public the next step is the approved move to a direct message (§9).
                self.clauses.append(self.roles.clause_for("private_message"))
                body, essential = reply_sentences(handover.text)
                return self._escalate(
                    reason, opening, body=body, essential=essential, cites=handover
                )
            step = self._line("escalate", variant)
            return self._escalate(reason, opening, body=(step,))
        return self._escalate(reason, self._line("escalate", "no_matching_entry"))

    def _escalate(
        self,
        reason: str,
        opening: str,
        extra_flag: str = "",
        body: tuple[str, ...] = (),
        *,
        essential: frozenset[int] = frozenset(),
        cites: ChosenReply | None = None,
    ) -> DraftReply:
        flags = [reason, extra_flag] if extra_flag else [reason]
        self.flags += flags
        citations = (cites.reply.citation,) if cites else ()
        return self._draft(
            DraftAction.ESCALATE, opening, body, essential=essential, citations=citations
        )

    def _ignore(self, reason: str) -> DraftReply:
        clause = self.roles.clause_for("spam") if reason == "spam" else None
        return DraftReply(
            "",
            self.request.language,
            DraftAction.IGNORE,
            self.confidence,
            guideline_clauses=tuple(c for c in [clause] if c),
            flags=tuple([*self.flags, *([] if reason == "spam" else [reason])]),
        )

    def _draft(
        self,
        action: DraftAction,
        opening: str,
        body: tuple[str, ...],
        *,
        private: str = "",
        essential: frozenset[int] = frozenset(),
        citations: tuple[str, ...] = (),
        sentences: tuple[int, int] = (0, 0),
        flag: str = "",
    ) -> DraftReply:
        request = self.request
        if body and not opening:
            body = (self.templates.continue_after_greeting(body[0]), *body[1:])
        parts = ReplyParts(
            greeting=self.templates.greeting(self.register, request.author_name),
            opening=opening,
            body=body,
            private=private,
            closing=self.roles.voice.sign_off(
                request.language, self.register, request.channel.value
            ),
            essential=essential,
        )
        text, shortened = fit_to_length(parts, request.policy.max_length)
        flags = [*self.flags, *([flag] if flag else []), *(["shortened"] if shortened else [])]
        return DraftReply(
            text,
            request.language,
            action,
            self.confidence,
            citations=citations,
            guideline_clauses=tuple(dict.fromkeys(c for c in self.clauses if c)),
            flags=tuple(dict.fromkeys(flags)),
            sentences_taken=sentences[0],
            sentences_available=sentences[1],
        )

    # -- pieces ----------------------------------------------------------------------------

    def _cited_passages(self) -> tuple[list[Passage], int]:
        """The entries the reply cites, and how many of the customer's questions found none.

        Per question (when the post asks several), its best good-enough entry; otherwise the
        best entry for the whole post. When every question found its entry but the post as
        a whole matches none well, the questions are what the customer asked, and the
        weakest answer is the confidence.
        """
        request = self.request
        chosen: dict[str, Passage] = {}
        unsure: list[tuple[Passage, ...]] = []
        for passages in request.message_passages:
            if passages and passages[0].score >= request.answer_threshold:
                chosen.setdefault(passages[0].entry.id, passages[0])
            else:
                unsure.append(passages)
        best = request.passages[0] if request.passages else None
        if best is not None and best.score < request.answer_threshold:
            best = None
        if not chosen:
            return ([best] if best else []), 0
        if best is None or best.entry.id not in chosen:
            self.confidence = round(min(p.score for p in chosen.values()), 3)
        # A question whose likely entries include one already cited is answered by it
        # ("How much is shipping? Is it free at some point?").
        cited = set(chosen)
        unanswered = sum(not cited & {p.entry.id for p in passages} for passages in unsure)
        return list(chosen.values()), unanswered

    def _is_thanks_only(self) -> bool:
        """Praise or thanks that asks nothing: a short warm reply, no FAQ facts."""
        labels = self.labels
        return (
            Label.PRAISE in labels
            and Label.QUESTION not in labels
            and not labels & {Label.COMPLAINT, Label.SARCASM, Label.ABUSIVE}
        )

    def _opening(self, cited: list[Passage]) -> str:
        labels = self.labels
        if Label.ABUSIVE in labels:
            self.clauses.append(self.roles.clause_for("abuse"))
            return self._line("abusive")
        if labels & {Label.COMPLAINT, Label.SARCASM}:
            self.clauses.append(self.roles.clause_for("complaints"))
            tags = [tag for passage in cited for tag in passage.entry.tags]
            topic = next((t for t in _TOPICS if t in tags), None)
            topic = topic or concern_topic(self.request.text) or "general"
            return self._line("acknowledge", topic)
        if self._is_thanks_only():
            return self._line("praise")
        # A question with a kind word ("💛") is still a question: answer it. A plain
        # question gets its answer first (§8), not a stock "thanks for your message".
        return ""

    def _answer_in_register(self, entry: FaqEntry) -> str | None:
        """The entry's answer in the channel's register, or None when it cannot be had."""
        if entry.language is not Language.DE:
            return entry.answer
        written = entry.answer_in(self.register)
        if written is not None:
            return written
        if self.register is Register.SIE:
            du_answer = entry.answer_in(Register.DU)
            return to_sie(du_answer) if du_answer is not None else None
        return None

    def _line(self, key: str, variant: str | None = None) -> str:
        return self.templates.line(key, self.register, variant)

    def _standard(self, kind: ReplyKind) -> ChosenReply | None:
        """The knowledge folder's approved text of `kind` for this reply, if it has one."""
        request = self.request
        return choose_reply(request.guidelines.replies, kind, request.language, self.register)
