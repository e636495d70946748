"""The comms lead's period report and CSV, on real SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest

from bot.faq.response_targets import BusinessHours, ResponseTargets
from bot.models import (
    Channel,
    Decision,
    DecisionKind,
    Delivery,
    DeliveryState,
    DraftAction,
)
from bot.storage import Database
from bot.storage.report_period import period_report
from bot.storage.reports import ENQUIRY_CSV_COLUMNS, write_enquiry_csv
from tests.storage.records import make_draft, make_enquiry

UTC = dt.UTC
FRIDAY_EVENING = dt.datetime(2026, 3, 6, 16, 30, tzinfo=UTC)
MONDAY = dt.datetime(2026, 3, 9, tzinfo=UTC)
SINCE = dt.datetime(2026, 3, 2, tzinfo=UTC)
UNTIL = dt.datetime(2026, 3, 10, tzinfo=UTC)
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
# Weekdays 9:00-17:00 UTC; Telegram within an hour, Facebook without a target.
TARGETS = ResponseTargets(
    hours=BusinessHours("UTC", frozenset(range(5)), dt.time(9, 0), dt.time(17, 0)),
    per_channel={"telegram": 3600.0},
)
CUSTOMER_TEXT = "Verkauft ihr Gartenmöbel aus Teak?"


async def _seed(
    database: Database,
    channel: Channel,
    received_at: dt.datetime,
    *,
    text: str = "Wann habt ihr geöffnet?",
    decision: DecisionKind | None = None,
    decided_at: dt.datetime | None = None,
    reason: str | None = None,
    sent_at: dt.datetime | None = None,
    **draft_changes: object,
) -> str:
    """One conversation: an enquiry, its draft a minute later, a decision and a sent reply."""
    async with database.unit_of_work() as uow:
        author = uuid.uuid4().hex
        conversation_id = await uow.conversations.open(channel, author, at=received_at)
        enquiry, _ = await uow.enquiries.add(
            make_enquiry(
                uuid.uuid4().hex,
                channel=channel,
                text=text,
                author_id=author,
                conversation_id=conversation_id,
                received_at=received_at,
            )
        )
        draft = make_draft(
            enquiry.id, 1, created_at=received_at + dt.timedelta(minutes=1), **draft_changes
        )
        await uow.drafts.add(draft)
        if decision is not None:
            assert decided_at is not None
            await uow.decisions.record(
                Decision(
                    uuid.uuid4().hex,
                    draft.id,
                    decision,
                    "U42",
                    final_text="Ja, ab 9 Uhr.",
                    reason=reason,
                    decided_at=decided_at,
                )
            )
        if sent_at is not None:
            await uow.deliveries.enqueue(
                Delivery(
                    uuid.uuid4().hex,
                    draft.id,
                    channel,
                    "Ja, ab 9 Uhr.",
                    state=DeliveryState.SENT,
                    created_at=sent_at,
                    updated_at=sent_at,
                )
            )
        await uow.commit()
    return enquiry.id


async def _seed_week(database: Database) -> dict[str, str]:
    return {
        "before": await _seed(
            database,
            Channel.TELEGRAM,
            dt.datetime(2026, 2, 20, 10, 0, tzinfo=UTC),
            decision=DecisionKind.APPROVED,
            decided_at=dt.datetime(2026, 2, 20, 10, 5, tzinfo=UTC),
        ),
        # Friday 16:30; approved Monday 9:10, sent 9:20: 30 + 20 business minutes.
        "friday": await _seed(
            database,
            Channel.TELEGRAM,
            FRIDAY_EVENING,
            decision=DecisionKind.APPROVED,
            decided_at=MONDAY.replace(hour=9, minute=10),
            sent_at=MONDAY.replace(hour=9, minute=20),
        ),
        "rejected": await _seed(
            database,
            Channel.TELEGRAM,
            MONDAY.replace(hour=10),
            decision=DecisionKind.REJECTED,
            decided_at=MONDAY.replace(hour=10, minute=31),
            reason="wrong tone",
        ),
        "late": await _seed(
            database,
            Channel.TELEGRAM,
            MONDAY.replace(hour=12),
            decision=DecisionKind.EDITED,
            decided_at=MONDAY.replace(hour=14, minute=1),
            sent_at=MONDAY.replace(hour=14, minute=5),
        ),
        "gap": await _seed(
            database,
            Channel.FACEBOOK,
            MONDAY.replace(hour=11),
            text=CUSTOMER_TEXT,
            action=DraftAction.ESCALATE,
            citations=(),
            cited_hashes={},
            flags=("no_matching_entry",),
        ),
    }


class TestPeriodReport:
    async def test_business_hour_medians_count_a_friday_evening_enquiry_from_monday(
        self, database: Database
    ) -> None:
        await _seed_week(database)

        async with database.engine.connect() as conn:
            report = await period_report(conn, SINCE, UNTIL, TARGETS, NOW)

        assert report.enquiries == 4
        assert report.time_to_reply.count == 2
        assert report.time_to_reply.median == pytest.approx((3000 + 7500) / 2)
        assert report.time_to_reply.p90 == pytest.approx(3000 + 0.9 * 4500)
        assert report.time_to_decision.count == 3
        assert report.time_to_decision.median == pytest.approx(2340)
        assert report.time_to_decision.p90 == pytest.approx(2340 + 0.8 * (7200 - 2340))

    async def test_counts_channels_decisions_reasons_and_the_share_within_target(
        self, database: Database
    ) -> None:
        await _seed_week(database)

        async with database.engine.connect() as conn:
            report = await period_report(conn, SINCE, UNTIL, TARGETS, NOW)

        telegram, facebook = report.channels["telegram"], report.channels["facebook"]
        assert (telegram.enquiries, telegram.answered, telegram.within_target) == (3, 2, 1)
        assert (facebook.enquiries, facebook.target_seconds) == (1, None)
        assert report.decisions == {"approved": 1, "edited": 1, "rejected": 1, "escalated": 0}
        assert report.rejection_reasons == {"wrong tone": 1}
        assert report.share_within_target == pytest.approx(0.5)

    async def test_backlog_and_unanswered_topics_show_the_escalated_draft(
        self, database: Database
    ) -> None:
        ids = await _seed_week(database)

        async with database.engine.connect() as conn:
            report = await period_report(conn, SINCE, UNTIL, TARGETS, NOW)

        assert (report.backlog.awaiting_review, report.backlog.awaiting_draft) == (1, 0)
        assert report.backlog.oldest_seconds == pytest.approx(6 * 3600)  # Monday 11:00-17:00
        assert report.backlog.by_target == {"on_track": 1}  # Facebook has no target
        [topic] = report.topics
        assert (topic.label, topic.conversations, topic.enquiry_ids) == (
            "verkauft ihr gartenmöbel …",
            1,
            (ids["gap"],),
        )

    async def test_an_escalation_in_the_period_counts_as_escalated(
        self, database: Database
    ) -> None:
        enquiry_id = await _seed(database, Channel.TELEGRAM, MONDAY + dt.timedelta(hours=10))
        async with database.unit_of_work() as uow:
            draft = await uow.drafts.latest_for(enquiry_id)
            assert draft is not None
            await uow.escalations.record(
                "conversation", draft.id, "U42", "U_LEAD", MONDAY + dt.timedelta(hours=11)
            )
            await uow.commit()

        async with database.engine.connect() as conn:
            report = await period_report(conn, SINCE, UNTIL, TARGETS, NOW)

        assert report.decisions["escalated"] == 1
        assert report.time_to_decision.median == pytest.approx(59 * 60)

    async def test_an_empty_period_has_no_figures(self, database: Database) -> None:
        async with database.engine.connect() as conn:
            report = await period_report(conn, SINCE, UNTIL, TARGETS, NOW)

        assert report.enquiries == 0
        assert report.time_to_reply.median is None
        assert report.share_within_target is None
        assert report.backlog.total == 0


class TestEnquiryCsv:
    async def test_one_row_per_enquiry_of_the_period_with_the_documented_header(
        self, database: Database
    ) -> None:
        ids = await _seed_week(database)
        stream = io.StringIO(newline="")

        async with database.engine.connect() as conn:
            written = await write_enquiry_csv(conn, SINCE, UNTIL, TARGETS, stream, now=NOW)

        rows = list(csv.DictReader(io.StringIO(stream.getvalue())))
        assert written == 4
        assert tuple(next(csv.reader(io.StringIO(stream.getvalue())))) == ENQUIRY_CSV_COLUMNS
        assert [row["enquiry_id"] for row in rows] == [
            ids["friday"],
            ids["rejected"],
            ids["gap"],
            ids["late"],
        ]
        friday = rows[0]
        assert friday["received_at"] == "2026-03-06T16:30:00+00:00"
        assert friday["decision"] == "approved" and friday["delivery_state"] == "sent"
        assert friday["cited_entries"] == "opening-hours;holidays"
        assert friday["business_seconds_to_decision"] == "2340"
        assert friday["business_seconds_to_reply"] == "3000"
        assert friday["within_target"] == "true"
        assert rows[1]["rejection_reason"] == "wrong tone"
        assert rows[1]["within_target"] == "false"  # no reply, and past its hour by now
        assert rows[2]["decision"] == "none" and rows[2]["within_target"] == ""
        assert rows[3]["within_target"] == "false"

    async def test_export_holds_no_customer_text_or_names(self, database: Database) -> None:
        await _seed_week(database)
        stream = io.StringIO(newline="")

        async with database.engine.connect() as conn:
            await write_enquiry_csv(conn, SINCE, UNTIL, TARGETS, stream)

        exported = stream.getvalue()
        for private in ("Gartenmöbel", "geöffnet", "Ada", "ab 9 Uhr", "Antwort"):
            assert private not in exported
