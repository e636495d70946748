"""Domain values shared by every part of ReplyDesk: enquiries, drafts, decisions, deliveries.

They are frozen dataclasses so that adapters and repositories hand around values, never
ORM rows or library objects.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum

# C0 control characters but tab and newline (PostgreSQL refuses NUL in text; the rest only
# garble a card), and lone surrogates ("\ud800" in JSON), which no UTF-8 column can take.
_UNSTORABLE = re.compile("[\x00-\x08\x0b-\x1f]|([\ud800-\udfff])")
# The width of the stored author name (`bot.storage.tables.EXTERNAL_LENGTH`).
_NAME_LENGTH = 255


class Channel(StrEnum):
    """Where an enquiry came from and where its reply goes back to."""

    TELEGRAM = "telegram"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    X = "x"
    SLACK = "slack"
    WEBHOOK = "webhook"


class Language(StrEnum):
    """Languages ReplyDesk answers in; other languages are answered in English."""

    DE = "de"
    EN = "en"


class Register(StrEnum):
    """How the customer is addressed, as the guidelines set it per channel."""

    DU = "du"
    SIE = "sie"


class DraftAction(StrEnum):
    """What the drafter suggests the reviewer does with the draft."""

    REVIEW = "review"  # a cited entry answers it: check and approve
    ESCALATE = "escalate"  # nothing fits or it is sensitive: a person must own it
    IGNORE = "ignore"  # spam: no reply


class EnquiryKind(StrEnum):
    """What the customer sent; non-text messages still reach a person."""

    TEXT = "text"
    STICKER = "sticker"
    PHOTO = "photo"
    VOICE = "voice"
    OTHER = "other"


class DecisionKind(StrEnum):
    """A reviewer's decision on a draft."""

    APPROVED = "approved"
    EDITED = "edited"  # approved with a reviewer-edited text
    REJECTED = "rejected"
    ESCALATED = "escalated"


class DeliveryState(StrEnum):
    """Life of one outbox row; a reply is only ever sent from QUEUED or FAILED (by a person)."""

    QUEUED = "queued"  # approved, waiting for the worker
    SENDING = "sending"  # the worker claimed it; a crash here means OUTCOME_UNKNOWN
    SENT = "sent"  # the platform confirmed it
    FAILED = "failed"  # retries exhausted; a person may retry
    OUTCOME_UNKNOWN = "outcome_unknown"  # sent or not, nobody knows: a person checks


class EmbeddingModel(StrEnum):
    """Dense models ReplyDesk can embed with; see benchmarks/retrieval.py for the figures."""

    USE = "use-multilingual-v3"  # fast (about 2 ms a query), best across languages
    E5 = "multilingual-e5-small"  # stronger within one language, about 10x slower
    HASHING = "hashing"  # deterministic, no model: unit tests only


class RetrievalMode(StrEnum):
    """Which signals rank FAQ entries."""

    FUSED = "fused"  # e5, USE and BM25 with fitted weights: the default with local models
    HYBRID = "hybrid"
    DENSE = "dense"
    LEXICAL = "lexical"


class LlmOutageMode(StrEnum):
    """What the review card shows while the language model is unreachable."""

    DELAY = "delay"  # "drafting delayed"; the LLM draft arrives when the server is back
    OFFLINE_DRAFT = "offline_draft"  # a clearly labelled offline draft meanwhile


class ServiceRole(StrEnum):
    """What one `replydesk serve` process runs; every role shares the database's queues."""

    ALL = "all"  # inbound routes and polling, and the queue workers (the default)
    WEB = "web"  # inbound routes and polling only: acknowledging never waits for drafting
    WORKER = "worker"  # filing, drafting, publishing and delivery only (and /healthz)


def utc_now() -> dt.datetime:
    """Return the current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class FaqEntry:
    """One FAQ entry as read from `knowledge/faq/<id>.md`.

    A German answer is written in one register (`register`, Du unless the file says Sie);
    `register_answers` holds the same answer written in the other register, when the file
    gives one, so a Sie channel need not rewrite a Du text.
    """

    id: str
    question: str
    answer: str
    language: Language
    alternate_questions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    valid_until: dt.date | None = None
    translation_of: str | None = None
    source_path: str = ""
    content_hash: str = ""
    register: Register | None = None  # of `answer`; None: Du in German, none in English
    register_answers: tuple[tuple[Register, str], ...] = ()

    def is_valid_on(self, day: dt.date) -> bool:
        """Tell whether the entry may still be cited on `day`."""
        return self.valid_until is None or day <= self.valid_until

    def answer_in(self, register: Register) -> str | None:
        """Return the answer as written in `register`, or None when the entry has none.

        English makes no Du/Sie distinction, so an English answer serves both registers.
        None for German means the answer exists only in the other register: rewrite it
        (`bot.drafting.register.to_sie`) or escalate, never send it as it is.
        """
        if self.language is not Language.DE:
            return self.answer
        if register is (self.register or Register.DU):
            return self.answer
        return next((text for key, text in self.register_answers if key is register), None)


@dataclass(frozen=True)
class GuidelineClause:
    """One numbered clause of the social-media guidelines (`## §3 Title`)."""

    id: str
    title: str
    text: str
    source_path: str = ""


@dataclass(frozen=True)
class ChannelPolicy:
    """What the guidelines ask for on one channel."""

    register: Register
    max_length: int


@dataclass(frozen=True)
class Passage:
    """A retrieved FAQ entry with its calibrated score (0..1)."""

    entry: FaqEntry
    score: float


@dataclass(frozen=True)
class InboundMessage:
    """A customer's message as a channel adapter hands it over."""

    channel: Channel
    external_id: str
    text: str
    author_id: str | None = None
    author_name: str | None = None
    language_hint: str | None = None
    kind: EnquiryKind = EnquiryKind.TEXT
    reply_target: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Make every text storable (see `storable_text`) and cut the name to its column.

        Ids keep their length: an id too long to store is the adapter's to refuse, since a
        cut id could match another message's.
        """
        clean = {
            "external_id": storable_text(self.external_id),
            "text": storable_text(self.text),
            "author_id": _storable_or_none(self.author_id),
            "author_name": _storable_or_none(self.author_name, _NAME_LENGTH),
            "language_hint": _storable_or_none(self.language_hint),
            "reply_target": {key: storable_text(v) for key, v in self.reply_target.items()},
        }
        for name, value in clean.items():
            object.__setattr__(self, name, value)  # frozen: set once, while constructing


def storable_text(value: str) -> str:
    r"""Return `value` as any database can store it, whatever a platform put in it.

    CRLF becomes a newline, other C0 control characters but tab and newline are dropped,
    and lone surrogates become U+FFFD.

    Usage:
        `storable_text("a\x00b\ud800")` → `"ab\ufffd"`
    """
    return _UNSTORABLE.sub(
        lambda found: "\ufffd" if found.group(1) else "", value.replace("\r\n", "\n")
    )


def _storable_or_none(value: str | None, limit: int | None = None) -> str | None:
    return None if value is None else storable_text(value)[:limit]


@dataclass(frozen=True)
class Enquiry:
    """A customer's message as it arrived on a channel.

    `external_id` is the channel's own id of the delivery (Telegram update_id, webhook id);
    together with `channel` it deduplicates repeated deliveries. `reply_target` holds what the
    channel needs to answer in place (chat and message id, comment id, reply_url).
    """

    id: str
    channel: Channel
    external_id: str
    text: str
    author_id: str | None = None
    author_name: str | None = None
    language_hint: str | None = None
    kind: EnquiryKind = EnquiryKind.TEXT
    conversation_id: str | None = None
    reply_target: dict[str, str] = field(default_factory=dict)
    received_at: dt.datetime = field(default_factory=utc_now)


@dataclass(frozen=True)
class Draft:
    """A proposed reply to an enquiry, waiting for a person's decision.

    `cited_hashes` maps each cited entry id to the content hash it had when the draft was
    made, so an approval can tell whether the knowledge changed since.
    """

    id: str
    enquiry_id: str
    text: str
    language: Language
    action: DraftAction
    confidence: float
    citations: tuple[str, ...] = ()
    guideline_clauses: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    drafter: str = "offline"
    revision: int = 1
    cited_hashes: dict[str, str] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    created_at: dt.datetime = field(default_factory=utc_now)
    private_followup: str | None = None  # to send by direct message, not in public


@dataclass(frozen=True)
class Decision:
    """A reviewer's decision; at most one per draft."""

    id: str
    draft_id: str
    kind: DecisionKind
    decided_by: str
    final_text: str | None = None
    reason: str | None = None
    decided_at: dt.datetime = field(default_factory=utc_now)


@dataclass(frozen=True)
class Delivery:
    """One outbox row: the approved reply for one draft, sent at most once."""

    id: str
    draft_id: str
    channel: Channel
    text: str
    reply_target: dict[str, str] = field(default_factory=dict)
    state: DeliveryState = DeliveryState.QUEUED
    attempts: int = 0
    last_error: str | None = None
    external_message_id: str | None = None
    created_at: dt.datetime = field(default_factory=utc_now)
    updated_at: dt.datetime = field(default_factory=utc_now)
