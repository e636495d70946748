"""SQLAlchemy Core tables for everything ReplyDesk persists; migrations must match them.

Types are chosen to behave the same on SQLite and PostgreSQL: enums are plain strings (the
models' `StrEnum` values), lists and maps are `JSON`, and every timestamp goes through
`UtcDateTime` so it comes back timezone-aware in UTC from either database.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

# Deterministic constraint names, so the migration, both dialects and autogenerate agree.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

ID_LENGTH = 64
ENUM_LENGTH = 32
EXTERNAL_LENGTH = 255


class UtcDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timestamp that is stored in UTC and always read back timezone-aware.

    SQLite has no timezone type and SQLAlchemy drops the offset there, so values are
    normalised to naive UTC on the way in and labelled UTC on the way out. PostgreSQL keeps
    `timestamptz`; its values are converted to UTC so both databases return equal objects.
    Naive datetimes are refused: guessing their zone is how timestamps silently shift.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Normalise to UTC; strip the offset only where the database cannot keep it."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given; use a timezone-aware UTC value")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        """Return UTC-aware datetimes whatever the database handed back."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _id(name: str = "id", *, primary_key: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(ID_LENGTH), primary_key=primary_key)


def _enum(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(ENUM_LENGTH), nullable=False)


def _stamp(name: str, *, nullable: bool = False) -> sa.Column[dt.datetime]:
    return sa.Column(name, UtcDateTime(), nullable=nullable)


conversations = sa.Table(
    "conversations",
    metadata,
    _id(primary_key=True),
    _enum("channel"),
    sa.Column("author_id", sa.String(EXTERNAL_LENGTH), nullable=False),
    _stamp("opened_at"),
    _stamp("last_message_at"),
    sa.Index(None, "channel", "author_id", "last_message_at"),
)

inbox = sa.Table(
    "inbox",
    metadata,
    # What the platforms delivered, stored before they are acknowledged: one INSERT per
    # delivery, so acknowledging stays fast under load. Filing workers then file each
    # message as an enquiry of its customer's conversation (`filed_at`), or record why it
    # could not be (`rejected`). The unique key makes a repeated delivery a no-op.
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    _enum("channel"),
    sa.Column("external_id", sa.String(EXTERNAL_LENGTH), nullable=False),
    sa.Column("message", sa.JSON(), nullable=False),
    _stamp("received_at"),
    _stamp("filed_at", nullable=True),
    sa.Column("rejected", sa.String(EXTERNAL_LENGTH)),
    sa.UniqueConstraint("channel", "external_id"),
    sa.Index(None, "filed_at", "seq"),
)

enquiries = sa.Table(
    "enquiries",
    metadata,
    _id(primary_key=True),
    _enum("channel"),
    sa.Column("external_id", sa.String(EXTERNAL_LENGTH), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("author_id", sa.String(EXTERNAL_LENGTH)),
    sa.Column("author_name", sa.String(EXTERNAL_LENGTH)),
    sa.Column("language_hint", sa.String(ENUM_LENGTH)),
    _enum("kind"),
    sa.Column("conversation_id", sa.String(ID_LENGTH), sa.ForeignKey("conversations.id")),
    sa.Column("reply_target", sa.JSON(), nullable=False),
    _stamp("received_at"),
    # A channel may deliver the same update twice; the first stored copy wins.
    sa.UniqueConstraint("channel", "external_id"),
    sa.Index(None, "received_at"),
    sa.Index(None, "conversation_id"),
)

drafts = sa.Table(
    "drafts",
    metadata,
    _id(primary_key=True),
    sa.Column("enquiry_id", sa.String(ID_LENGTH), sa.ForeignKey("enquiries.id"), nullable=False),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    _enum("language"),
    _enum("action"),
    sa.Column("confidence", sa.Float(), nullable=False),
    sa.Column("citations", sa.JSON(), nullable=False),
    sa.Column("guideline_clauses", sa.JSON(), nullable=False),
    sa.Column("flags", sa.JSON(), nullable=False),
    sa.Column("cited_hashes", sa.JSON(), nullable=False),
    sa.Column("drafter", sa.String(ID_LENGTH), nullable=False),
    sa.Column("prompt_tokens", sa.Integer(), nullable=False),
    sa.Column("completion_tokens", sa.Integer(), nullable=False),
    sa.Column("superseded", sa.Boolean(), nullable=False),
    _stamp("created_at"),
    sa.Column("private_followup", sa.Text()),
    sa.UniqueConstraint("enquiry_id", "revision"),
)

decisions = sa.Table(
    "decisions",
    metadata,
    _id(primary_key=True),
    # One decision per draft: a double click or a second reviewer finds the first.
    sa.Column("draft_id", sa.String(ID_LENGTH), sa.ForeignKey("drafts.id"), nullable=False),
    _enum("kind"),
    sa.Column("decided_by", sa.String(EXTERNAL_LENGTH), nullable=False),
    sa.Column("final_text", sa.Text()),
    sa.Column("reason", sa.Text()),
    _stamp("decided_at"),
    sa.UniqueConstraint("draft_id"),
    sa.Index(None, "decided_at"),  # the comms lead's report reads one period
)

escalations = sa.Table(
    "escalations",
    metadata,
    # Each hand-over of a conversation to a person or group, append-only: the card keeps
    # waiting (the draft stays undecided for the new owner), so this is not a decision row.
    _id(primary_key=True),
    sa.Column("conversation_id", sa.String(ID_LENGTH), nullable=False),
    sa.Column("draft_id", sa.String(ID_LENGTH), sa.ForeignKey("drafts.id"), nullable=False),
    sa.Column("escalated_by", sa.String(EXTERNAL_LENGTH), nullable=False),
    sa.Column("assignee", sa.String(EXTERNAL_LENGTH), nullable=False),
    _stamp("escalated_at"),
    sa.Index(None, "escalated_at"),
)

proposals = sa.Table(
    "proposals",
    metadata,
    # Changes to the knowledge learned from reviewers (an edited fact, a customer's phrasing,
    # an escalated question a person answered), waiting for a knowledge editor. `key` folds
    # repeats into one row: each enquiry it would have helped is appended to `enquiry_ids`,
    # whose length ranks it. Open rows older than four weeks count as expired when read.
    _id(primary_key=True),
    _enum("kind"),  # alternate_question, answer_update, new_entry
    sa.Column("entry_id", sa.String(EXTERNAL_LENGTH)),  # the cited entry; None: new_entry
    sa.Column("key", sa.String(ID_LENGTH), nullable=False),
    sa.Column("proposed", sa.JSON(), nullable=False),
    sa.Column("enquiry_ids", sa.JSON(), nullable=False),
    _enum("status"),  # open, accepted, dismissed
    _stamp("created_at"),
    _stamp("updated_at"),
    sa.Column("decided_by", sa.String(EXTERNAL_LENGTH)),
    _stamp("decided_at", nullable=True),
    sa.UniqueConstraint("key"),
    sa.Index(None, "status", "created_at"),
)

enquiry_priorities = sa.Table(
    "enquiry_priorities",
    metadata,
    # How urgent an enquiry reads (bot/priority): sentiment, urgency reasons with their
    # confidence and the words behind them, and the score that orders work (higher first).
    sa.Column("enquiry_id", sa.String(ID_LENGTH), sa.ForeignKey("enquiries.id"), primary_key=True),
    sa.Column("score", sa.Float(), nullable=False),
    sa.Column("reading", sa.JSON(), nullable=False),
    _stamp("assessed_at"),
)

enquiry_topics = sa.Table(
    "enquiry_topics",
    metadata,
    # What an enquiry is about, for spike detection: a cited FAQ entry, an urgency reason, a
    # cluster of unanswered posts, and `negative` for the overall negative volume. One row per
    # enquiry and topic; counted per window against the same hours of earlier weeks.
    sa.Column("enquiry_id", sa.String(ID_LENGTH), sa.ForeignKey("enquiries.id"), primary_key=True),
    sa.Column("topic", sa.String(EXTERNAL_LENGTH), primary_key=True),
    _stamp("received_at"),
    sa.Index(None, "topic", "received_at"),
    sa.Index(None, "received_at"),
)

spikes = sa.Table(
    "spikes",
    metadata,
    # A burst of posts on one topic: one row per spike, raised by whichever replica saw it
    # first (at most one open row per topic), with the leads' alert and the holding
    # statement a lead approves once for every card of the topic.
    _id(primary_key=True),
    sa.Column("topic", sa.String(EXTERNAL_LENGTH), nullable=False),
    sa.Column("label", sa.Text(), nullable=False),
    _stamp("started_at"),
    _stamp("detected_at"),
    _stamp("ended_at", nullable=True),
    sa.Column("count", sa.Integer(), nullable=False),
    sa.Column("expected", sa.Float(), nullable=False),
    sa.Column("examples", sa.JSON(), nullable=False),  # enquiry ids
    # Topics found to be the same burst (the "app down" posts counted as an outage too): their
    # posts count as the spike's and get its statement.
    sa.Column("related", sa.JSON(), nullable=False),
    sa.Column("statement", sa.JSON()),  # bot.crisis.statement.Statement.to_json()
    sa.Column("statement_approved_by", sa.String(EXTERNAL_LENGTH)),
    _stamp("statement_approved_at", nullable=True),
    sa.Column("alert_channel", sa.String(ID_LENGTH)),
    sa.Column("alert_ts", sa.String(ID_LENGTH)),
    sa.Column("alert_sent", sa.Boolean(), nullable=False),
    # A replica posting the alert holds it until then, so two replicas never both post it.
    _stamp("alert_claimed_until", nullable=True),
    sa.Index(
        None,
        "topic",
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    ),
    sa.Index(None, "ended_at"),
)

sign_offs = sa.Table(
    "sign_offs",
    metadata,
    # Approvals that do not send on their own: press, legal threats, safety and crisis
    # posts need a lead's sign-off besides a reviewer's. Each person signs a draft once;
    # the decision and the delivery are written when the second, different person signs.
    sa.Column("draft_id", sa.String(ID_LENGTH), sa.ForeignKey("drafts.id"), primary_key=True),
    sa.Column("signed_by", sa.String(EXTERNAL_LENGTH), primary_key=True),
    _enum("role"),  # reviewer, lead
    sa.Column("final_text", sa.Text(), nullable=False),
    _stamp("signed_at"),
)

moderation_actions = sa.Table(
    "moderation_actions",
    metadata,
    # Hide and unhide requests on a customer's public post, append-only: `seq` numbers the
    # actions of one enquiry, so two replicas acting on one click collide on the key.
    sa.Column("enquiry_id", sa.String(ID_LENGTH), sa.ForeignKey("enquiries.id"), primary_key=True),
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
    _enum("action"),  # hide, unhide
    sa.Column("requested_by", sa.String(EXTERNAL_LENGTH), nullable=False),
    sa.Column("clause", sa.String(ENUM_LENGTH), nullable=False),  # the guideline clause, "§11"
    _enum("state"),  # queued, done, failed
    sa.Column("last_error", sa.Text()),
    _stamp("requested_at"),
    _stamp("completed_at", nullable=True),
    sa.Index(None, "state"),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    _id(primary_key=True),
    # One outbox row per draft, so an approval replayed by Slack sends once.
    sa.Column("draft_id", sa.String(ID_LENGTH), sa.ForeignKey("drafts.id"), nullable=False),
    _enum("channel"),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("reply_target", sa.JSON(), nullable=False),
    _enum("state"),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.Text()),
    sa.Column("external_message_id", sa.String(EXTERNAL_LENGTH)),
    # Who is sending a SENDING row and until when: a live worker renews its lease, so only a
    # row whose lease ran out (its worker died mid-send) is recovered as outcome unknown.
    sa.Column("lease_token", sa.String(ID_LENGTH)),
    _stamp("lease_until", nullable=True),
    _stamp("next_attempt_at"),
    _stamp("created_at"),
    _stamp("updated_at"),
    sa.UniqueConstraint("draft_id"),
    sa.Index(None, "state", "next_attempt_at"),
)

review_cards = sa.Table(
    "review_cards",
    metadata,
    sa.Column("enquiry_id", sa.String(ID_LENGTH), sa.ForeignKey("enquiries.id"), primary_key=True),
    sa.Column("slack_channel", sa.String(ID_LENGTH), nullable=False),
    sa.Column("message_ts", sa.String(ID_LENGTH), nullable=False),
    _stamp("updated_at"),
    sa.UniqueConstraint("slack_channel", "message_ts"),
)

processed_events = sa.Table(
    "processed_events",
    metadata,
    # Slack, Telegram and webhooks retry deliveries; the key lets a handler run once.
    sa.Column("source", sa.String(ENUM_LENGTH), primary_key=True),
    sa.Column("event_id", sa.String(EXTERNAL_LENGTH), primary_key=True),
    _stamp("processed_at"),
)

knowledge_versions = sa.Table(
    "knowledge_versions",
    metadata,
    sa.Column("knowledge_key", sa.String(ID_LENGTH), primary_key=True),
    sa.Column("entry_id", sa.String(EXTERNAL_LENGTH), primary_key=True),
    sa.Column("content_hash", sa.String(ID_LENGTH * 2), nullable=False),
    sa.Column("valid_until", sa.Date()),
    _stamp("indexed_at"),
)

knowledge_edits = sa.Table(
    "knowledge_edits",
    metadata,
    # Every change to a knowledge entry made through ReplyDesk (Slack modal, CLI, restore,
    # an accepted proposal), append-only: who, when, and the entry's file before and after.
    # The knowledge folder stays the source of truth; this is its history.
    _id(primary_key=True),
    sa.Column("knowledge_key", sa.String(ID_LENGTH), nullable=False),
    sa.Column("entry_id", sa.String(EXTERNAL_LENGTH), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("action", sa.String(ENUM_LENGTH), nullable=False),  # create, edit, restore
    sa.Column("edited_by", sa.String(EXTERNAL_LENGTH), nullable=False),
    _stamp("edited_at"),
    sa.Column("before", sa.Text()),  # the file's text; None for a new entry
    sa.Column("after", sa.Text(), nullable=False),
    sa.UniqueConstraint("knowledge_key", "entry_id", "version"),
)

card_states = sa.Table(
    "card_states",
    metadata,
    # What the review card of a conversation should show beyond its drafts and decisions:
    # who owns it after an escalation, whether drafting waits for the model, and whether the
    # Slack message is behind the database (Slack was down) and must be published again.
    sa.Column(
        "conversation_id", sa.String(ID_LENGTH), sa.ForeignKey("conversations.id"), primary_key=True
    ),
    sa.Column(
        "root_enquiry_id", sa.String(ID_LENGTH), sa.ForeignKey("enquiries.id"), nullable=False
    ),
    sa.Column("owner", sa.String(EXTERNAL_LENGTH)),
    sa.Column("drafting", sa.String(ENUM_LENGTH), nullable=False),
    sa.Column("needs_publish", sa.Boolean(), nullable=False),
    # Drafting and publishing run from these rows as durable queues shared by every replica.
    # A version is bumped whenever new work is asked for (a message, a regenerate click, a
    # change the card must show); a worker finishes only the version it claimed. A lease
    # (token and expiry, renewed while the worker lives) keeps two workers off one card.
    sa.Column("draft_version", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("draft_hint", sa.Text()),
    sa.Column("draft_lease_token", sa.String(ID_LENGTH)),
    _stamp("draft_lease_until", nullable=True),
    _stamp("draft_not_before", nullable=True),
    sa.Column("draft_failures", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("publish_version", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("publish_lease_token", sa.String(ID_LENGTH)),
    _stamp("publish_lease_until", nullable=True),
    _stamp("publish_not_before", nullable=True),
    sa.Column("publish_failures", sa.Integer(), nullable=False, server_default="0"),
    # How often publishing was claimed: after a claim that recorded no card, Slack is asked
    # for a card carrying this conversation's metadata before a new one is posted.
    sa.Column("publish_claims", sa.Integer(), nullable=False, server_default="0"),
    # When the card was reminded about in its thread for crossing "at risk" (once per card).
    _stamp("reminded_at", nullable=True),
    # The highest priority score of the conversation's enquiries (bot/priority): cards are
    # published, listed and reminded about in this order, then by age.
    sa.Column("priority", sa.Float(), nullable=False, server_default="0"),
    _stamp("updated_at"),
    sa.Index(None, "needs_publish"),
    sa.Index(None, "drafting"),
)
