"""The comms lead's part of the App Home: the period's figures, its picker, the CSV export.

`leads_blocks` is pure (a `PeriodReport` in, blocks out). The chosen period travels in
the view itself (the picker's `initial_option`, the export button's value), so nothing
is kept between clicks. `export_csv` writes the period's per-enquiry CSV
(`write_enquiry_csv`) and sends it as a file to the lead's DM with the app.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from enum import StrEnum

from slack_sdk.web.async_client import AsyncWebClient

from bot.faq.response_targets import ResponseTargets
from bot.models import Channel, DecisionKind
from bot.services import Desk
from bot.slack.blocks import Block, channel_name, escape, section
from bot.slack.interaction import SlackDesk, text_at
from bot.storage.report_period import PeriodReport, Timing
from bot.storage.reports import write_enquiry_csv
from bot.wording import HomeWording

log = logging.getLogger(__name__)

PERIOD_DAYS = (7, 30, 90)
DEFAULT_DAYS = 30
LISTED_TOPICS = 5
LISTED_REASONS = 8  # reasons carry reviewers' notes, so there can be many


class HomeAction(StrEnum):
    """Action ids of the App Home's controls (the card buttons' are `blocks.Action`)."""

    PERIOD = "home.period"  # static_select; its selected value is a number of days
    EXPORT_CSV = "home.export_csv"  # button; its value is the shown period's days


def period_days(value: str) -> int:
    """The period a picker or button value names; the default for anything else."""
    return int(value) if value in {str(days) for days in PERIOD_DAYS} else DEFAULT_DAYS


def period_bounds(now: dt.datetime, days: int) -> tuple[dt.datetime, dt.datetime]:
    """The last `days` days up to `now`: (since, until)."""
    return now - dt.timedelta(days=days), now


def targets_of(desk: Desk) -> ResponseTargets:
    """The guidelines' business hours and response-time targets (none when unset)."""
    targets = getattr(desk.drafting.guidelines, "response_targets", None)
    return targets if isinstance(targets, ResponseTargets) else ResponseTargets()


def duration(seconds: float) -> str:
    """A short human duration: "45 min", "3 h 05 min", "2 d 4 h"."""
    minutes = max(0, int(seconds // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def leads_blocks(words: HomeWording, report: PeriodReport, days: int) -> list[Block]:
    """The team report of the last `days` days: 10 blocks, whatever the data."""
    none = words.leads_none
    backlog = report.backlog
    share = report.share_within_target
    answered = sum(f.answered for f in report.channels.values() if f.target_seconds is not None)
    reasons = ", ".join(
        words.leads_count_item.format(label=escape(reason), count=count)
        for reason, count in list(report.rejection_reasons.items())[:LISTED_REASONS]
    )
    topics = ", ".join(
        words.leads_count_item.format(label=escape(topic.label), count=topic.conversations)
        for topic in report.topics[:LISTED_TOPICS]
    )
    return [
        {"type": "divider"},
        section(
            words.leads_heading.format(period=words.leads_period.format(days=days)),
            accessory=_period_picker(words, days),
        ),
        section(
            words.leads_enquiries.format(
                total=report.enquiries,
                counts=", ".join(
                    words.leads_count_item.format(label=_channel(name), count=figures.enquiries)
                    for name, figures in report.channels.items()
                )
                or none,
            )
        ),
        section(
            words.leads_decisions.format(
                **{kind.value: report.decisions.get(kind.value, 0) for kind in DecisionKind}
            )
        ),
        section(words.leads_reasons.format(counts=reasons or none)),
        section(
            words.leads_times.format(
                reply_median=_time(words, report.time_to_reply, "median"),
                reply_p90=_time(words, report.time_to_reply, "p90"),
                decision_median=_time(words, report.time_to_decision, "median"),
                decision_p90=_time(words, report.time_to_decision, "p90"),
            )
        ),
        section(
            words.leads_within_target.format(
                share=none if share is None else f"{share:.0%}",
                within=sum(f.within_target for f in report.channels.values()),
                answered=answered,
            )
        ),
        section(
            words.leads_backlog.format(
                count=backlog.total,
                review=backlog.awaiting_review,
                drafting=backlog.awaiting_draft,
                escalated=backlog.escalated,
                oldest=none if backlog.oldest_seconds is None else duration(backlog.oldest_seconds),
            )
        ),
        section(words.leads_unanswered.format(topics=topics or none)),
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": words.leads_export},
                    "action_id": HomeAction.EXPORT_CSV.value,
                    "value": str(days),
                }
            ],
        },
    ]


def _period_picker(words: HomeWording, days: int) -> Block:
    options: list[Block] = [
        {
            "text": {"type": "plain_text", "text": words.leads_period.format(days=choice)},
            "value": str(choice),
        }
        for choice in PERIOD_DAYS
    ]
    return {
        "type": "static_select",
        "action_id": HomeAction.PERIOD.value,
        "options": options,
        "initial_option": options[PERIOD_DAYS.index(days)],
    }


def _channel(name: str) -> str:
    try:
        return channel_name(Channel(name))
    except ValueError:
        return escape(name)


def _time(words: HomeWording, timing: Timing, which: str) -> str:
    seconds = timing.median if which == "median" else timing.p90
    return words.leads_none if seconds is None else duration(seconds)


def export_filename(since: dt.datetime, until: dt.datetime) -> str:
    """The export's file name: `replydesk-<since>-<until>.csv`, dates in UTC."""
    return f"replydesk-{since.date().isoformat()}-{until.date().isoformat()}.csv"


async def export_csv(
    slack: SlackDesk,
    client: AsyncWebClient,
    words: HomeWording,
    user_id: str,
    days: int,
    now: dt.datetime,
) -> None:
    """Send the lead the per-enquiry CSV of the last `days` days in their DM with the app.

    Only leads (SLACK_LEADS) may export; anyone else's click is logged and ignored.

    Args:
        slack: The desk and the Slack pieces.
        client: The bot's Web API client.
        words: The App Home wording.
        user_id: Who clicked "Export CSV".
        days: The period shown when they clicked.
        now: When the export is made (the period ends here).
    """
    if user_id not in slack.leads:
        log.info("user %s may not export the enquiry CSV: not a lead", user_id)
        return
    since, until = period_bounds(now, days)
    stream = io.StringIO(newline="")
    async with slack.desk.db.engine.connect() as conn:
        rows = await write_enquiry_csv(conn, since, until, targets_of(slack.desk), stream, now)
    opened = await client.conversations_open(users=user_id)
    dm = text_at(opened.data, "channel", "id")
    await client.files_upload_v2(
        channel=dm,
        content=stream.getvalue(),
        filename=export_filename(since, until),
        title=words.leads_export_title.format(
            since=since.date().isoformat(), until=until.date().isoformat(), count=rows
        ),
    )
    log.info("sent user %s the enquiry CSV of %d days (%d rows)", user_id, days, rows)
