"""The comms lead's App Home: the period's team report, its period picker, "Export CSV".

Against the Slack stand-in over real HTTP: the event and the clicks are signed for real,
the view arrives through `views.publish`, the CSV through files_upload_v2's three steps.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot.faq.embedders import UseEmbedder
from bot.slack.blocks import Action
from bot.slack.home_leads import HomeAction, leads_blocks
from bot.storage.report_period import Backlog, PeriodReport, Timing
from bot.storage.reports import ENQUIRY_CSV_COLUMNS
from bot.wording import home_wording
from tests.slack.harness import (
    REVIEWER,
    ServedApp,
    card_text,
    draft_id_on,
    eventually,
    review_card,
    served_app,
    slack_settings,
)
from tests.slack.test_home import blocks_of, open_home, text_of
from tests.stand_ins import TEAM_ID, JSONObject, SlackStandIn

LEAD = "U_LEAD"


@pytest.fixture
async def app(
    slack: SlackStandIn, tmp_path: Path, use_embedder: UseEmbedder
) -> AsyncIterator[ServedApp]:
    settings = slack_settings(tmp_path, slack, slack_leads=LEAD)
    async with served_app(settings, slack, use_embedder) as served:
        yield served


def home_action_body(user: str, view: JSONObject, action: JSONObject) -> bytes:
    """Form body of a click on a control of the user's App Home (`block_actions`)."""
    payload: JSONObject = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0001",
        "token": "stand-in-verification-token",
        "container": {"type": "view", "view_id": view.get("id")},
        "trigger_id": "1111111111.2222222222.stand-in-trigger",
        "team": {"id": TEAM_ID, "domain": "replydesk-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": view,
        "actions": [{**action, "block_id": "b", "action_ts": f"{int(time.time())}.000001"}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def period_picker(view: JSONObject) -> JSONObject:
    """The view's period picker (a static_select beside the report's heading)."""
    for block in blocks_of(view):
        picker = block.get("accessory")
        if isinstance(picker, dict) and picker.get("action_id") == HomeAction.PERIOD.value:
            return picker
    raise AssertionError("the view has no period picker")


def choose_period(view: JSONObject, days: int) -> JSONObject:
    """The picker's action as Slack sends it when `days` is chosen."""
    options = period_picker(view)["options"]
    assert isinstance(options, list)
    chosen = next(o for o in options if o["value"] == str(days))
    return {
        "type": "static_select",
        "action_id": HomeAction.PERIOD.value,
        "selected_option": chosen,
    }


def export_button(view: JSONObject) -> JSONObject:
    """The view's "Export CSV" button as its click's action."""
    for block in blocks_of(view):
        for element in block.get("elements") or []:  # type: ignore[attr-defined]
            if isinstance(element, dict) and element.get("action_id") == HomeAction.EXPORT_CSV:
                return {**element}
    raise AssertionError("the view has no Export CSV button")


async def approve_one(app: ServedApp) -> None:
    """One enquiry, approved and sent: a decision and a reply in the period."""
    await app.enquire()
    await app.click(Action.APPROVE, draft_id_on(review_card(app.stand_in)))
    await eventually(lambda: "Sent (message id" in card_text(review_card(app.stand_in)))


class TestTheLeadsReport:
    async def test_a_lead_sees_the_figures_of_the_last_30_days(self, app: ServedApp) -> None:
        await approve_one(app)

        view = await open_home(app, LEAD)

        text = text_of(view)
        assert period_picker(view)["initial_option"] == {
            "text": {"type": "plain_text", "text": "last 30 days"},
            "value": "30",
        }

        assert "*Team report* · last 30 days" in text
        assert "*Enquiries:* 1 (Slack 1)" in text
        assert "approved 1 · edited 0 · rejected 0 · escalated 0" in text
        assert "*Time to first reply:* median " in text and "(business hours)" in text
        assert "*Backlog now:* 0" in text
        assert "*Top unanswered topics:* none" in text

    async def test_choosing_7_days_publishes_the_home_again_for_that_period(
        self, app: ServedApp
    ) -> None:
        view = await open_home(app, LEAD)

        response = await app.post(home_action_body(LEAD, view, choose_period(view, 7)))

        assert response.status_code == 200
        await eventually(lambda: "last 7 days" in text_of(app.stand_in.home(LEAD) or {}))
        again = app.stand_in.home(LEAD) or {}
        assert export_button(again)["value"] == "7"
        assert period_picker(again)["initial_option"] == {
            "text": {"type": "plain_text", "text": "last 7 days"},
            "value": "7",
        }
        assert len(blocks_of(again)) <= 100


class TestTheReportBlocks:
    def test_an_empty_period_reads_none_and_keeps_its_ten_blocks(self) -> None:
        now = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)
        empty = PeriodReport(
            since=now - dt.timedelta(days=90),
            until=now,
            now=now,
            channels={},
            decisions={},
            rejection_reasons={},
            time_to_reply=Timing.of([]),
            time_to_decision=Timing.of([]),
            backlog=Backlog(0, 0, 0, None, {}),
            topics=[],
        )

        blocks = leads_blocks(home_wording(), empty, 90)

        text = text_of({"blocks": blocks})
        assert len(blocks) == 10
        assert "*Enquiries:* 0 (none)" in text and "median none, p90 none" in text
        assert "*Within target:* none" in text and "longest wait none" in text


class TestExportingTheCsv:
    async def test_export_sends_one_csv_file_to_the_leads_dm(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        await approve_one(app)
        await app.enquire(text="Habt ihr auch Geschenkgutscheine?", ts="1700000000.000002")
        view = await open_home(app, LEAD)

        response = await app.post(home_action_body(LEAD, view, export_button(view)))

        assert response.status_code == 200
        await eventually(lambda: len(slack.uploaded_files()) == 1)
        [uploaded] = slack.uploaded_files()
        dm = slack.calls("conversations.open")[0].params["users"]
        assert dm == LEAD and uploaded.channel == "D_LEAD"
        assert uploaded.filename.startswith("replydesk-") and uploaded.filename.endswith(".csv")
        rows = list(csv.reader(io.StringIO(uploaded.content.decode())))
        assert tuple(rows[0]) == ENQUIRY_CSV_COLUMNS
        assert len(rows) == 3  # the header and one row per enquiry
        decisions = sorted(row[ENQUIRY_CSV_COLUMNS.index("decision")] for row in rows[1:])
        assert decisions[0] == "approved"


class TestNotALead:
    async def test_a_reviewer_sees_no_report_and_cannot_export(
        self, app: ServedApp, slack: SlackStandIn, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="bot.slack.home_leads")
        lead_view = await open_home(app, LEAD)
        view = await open_home(app, REVIEWER)
        assert "Team report" not in text_of(view) and "Waiting for review" in text_of(view)

        response = await app.post(home_action_body(REVIEWER, view, export_button(lead_view)))

        assert response.status_code == 200
        await eventually(lambda: "may not export" in caplog.text)
        assert slack.uploaded_files() == []
        assert slack.count("conversations.open") == 0
        assert slack.count("files.getUploadURLExternal") == 0
