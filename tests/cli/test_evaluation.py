"""`replydesk eval drafts`: measures drafts with the same checks the LLM drafter runs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.evaluation import evaluate_drafts, measure_draft, total
from bot.cli.expectations import Outcome
from bot.drafting.offline import OfflineDrafter
from bot.drafting.pipeline import DraftingContext, prepare_request
from bot.drafting.port import DraftRequest
from bot.faq.opening import OpenedKnowledge
from bot.models import Channel, DraftAction, Language
from tests.stand_ins import OpenAIStandIn
from tests.stand_ins.wire import JSONObject

FIXTURE_KNOWLEDGE = Path(__file__).parents[1] / "fixtures" / "knowledge"
ENQUIRIES = [
    {
        "id": "e1",
        "channel": "instagram",
        "author_name": "Anna",
        "text": "Wie lange habe ich Zeit für eine Rücksendung?",
    },
    {
        "id": "e2",
        "channel": "webhook",
        "author_name": "Frau Berger",
        "text": "Ich kann mich nicht in der App anmelden.",
    },
]
SPAM = {"id": "spam", "channel": "x", "author_name": None, "text": "Buy cheap followers now!!!"}


@pytest.fixture
def context(fixture_knowledge: OpenedKnowledge) -> DraftingContext:
    return DraftingContext(
        retriever=fixture_knowledge.retriever,
        guidelines=fixture_knowledge.knowledge.guidelines,
        drafter=OfflineDrafter(),
    )


@pytest.fixture
def returns_request(context: DraftingContext) -> DraftRequest:
    text = "Meine Bestellung NH-2024-48213: wie lange habe ich Zeit für eine Rücksendung?"
    return prepare_request(context, text, Channel.X, "Anna")


class TestMeasureDraft:
    async def test_a_good_offline_draft_passes_every_check(
        self, returns_request: DraftRequest
    ) -> None:
        reply = await OfflineDrafter().draft(returns_request)

        measured = measure_draft("e1", returns_request, reply)

        assert measured.language_match and measured.citations_valid
        assert measured.within_length and measured.register_correct
        assert not measured.personal_data_in_public and not measured.escalated

    async def test_each_failed_check_is_reported(self, returns_request: DraftRequest) -> None:
        good = await OfflineDrafter().draft(returns_request)
        bad = replace(
            good,
            text="Hi Anna, Ihre Bestellung NH-2024-48213 can be returned within 30 days. " * 5,
            citations=("not-retrieved",),
            action=DraftAction.ESCALATE,
        )

        measured = measure_draft("e1", returns_request, bad)

        assert not measured.language_match
        assert not measured.citations_valid
        assert not measured.within_length
        assert measured.personal_data_in_public
        assert measured.escalated

    async def test_a_draft_in_the_wrong_register_is_counted(self, context: DraftingContext) -> None:
        request = prepare_request(context, "Wie lange habe ich Zeit?", Channel.WEBHOOK, "Berger")
        reply = await OfflineDrafter().draft(request)

        measured = measure_draft("e", request, replace(reply, text="Hallo, du hast 30 Tage Zeit."))

        assert not measured.register_correct


class TestEvaluateDrafts:
    async def test_every_line_is_measured_and_a_bad_line_does_not_stop_the_run(
        self, context: DraftingContext
    ) -> None:
        lines = [json.dumps(ENQUIRIES[0]), "not json", json.dumps(ENQUIRIES[1])]

        measurements = await evaluate_drafts(lines, context)

        assert [m.id for m in measurements] == ["e1", "line 2", "e2"]
        assert measurements[1].error is not None
        totals = total(measurements)
        assert (totals.lines, totals.drafted) == (3, 2)
        assert totals.language_match == 2 and totals.citations_valid == 2

    async def test_eval_drafts_counts_a_wrong_citation_as_answered_wrong(
        self, context: DraftingContext
    ) -> None:
        line = {**ENQUIRIES[0], "expect": {"action": "review", "entries": ["app-login-de"]}}

        [measured] = await evaluate_drafts([json.dumps(line)], context)

        assert measured.outcome is Outcome.ANSWERED_WRONG
        assert measured.verdict is not None
        assert measured.verdict.citations == ("returns-window-de",)

    async def test_eval_drafts_judges_each_line_with_an_expect_and_leaves_the_others_alone(
        self, context: DraftingContext
    ) -> None:
        returns = ["returns-window-de", "returns-window-en"]
        lines = [
            {**ENQUIRIES[0], "expect": {"action": "review", "entries": returns}},
            {**ENQUIRIES[0], "id": "scope", "expect": {"action": "escalate", "entries": []}},
            {**SPAM, "expect": {"action": "review", "entries": returns}},
            {**SPAM, "id": "spam-ok", "expect": {"action": "ignore", "entries": []}},
            ENQUIRIES[1],
        ]

        measurements = await evaluate_drafts([json.dumps(line) for line in lines], context)

        assert [m.outcome for m in measurements] == [
            Outcome.ANSWERED_RIGHT,
            Outcome.OUT_OF_SCOPE_ANSWERED,
            Outcome.ESCALATED_BUT_ANSWERABLE,
            Outcome.NOT_ANSWERED_AS_EXPECTED,
            None,
        ]
        assert measurements[4].error is None and measurements[4].verdict is None

    async def test_an_invalid_expect_is_a_one_line_error_and_the_run_goes_on(
        self, context: DraftingContext
    ) -> None:
        lines = [
            {**ENQUIRIES[0], "expect": {"action": "answer", "entries": []}},
            {**ENQUIRIES[0], "id": "e1b", "expect": {"action": "review", "entries": "x"}},
            {**ENQUIRIES[1], "expect": {"action": "review", "entries": ["app-login-de"]}},
        ]

        measurements = await evaluate_drafts([json.dumps(line) for line in lines], context)

        bad_action, bad_entries, good = measurements
        assert bad_action.id == "e1" and bad_action.error is not None
        assert bad_action.error.startswith("line 1: expect.action: Input should be 'review'")
        assert "\n" not in bad_action.error
        assert bad_entries.error is not None
        assert bad_entries.error.startswith("line 2: expect.entries:")
        assert good.error is None and good.outcome is Outcome.ANSWERED_RIGHT


def german_answer(request: JSONObject) -> JSONObject:
    messages = request["messages"]
    assert isinstance(messages, list)
    offered = re.findall(r'<entry id="([^"]+)"', str(messages[1]["content"]))
    return {
        "reply": "Hallo, du kannst das innerhalb von 30 Tagen erledigen, ganz ohne Gründe.",
        "language": Language.DE.value,
        "cited_entry_ids": offered[:1],
        "guideline_clause_ids": ["§3"],
        "confidence": 0.9,
        "needs_escalation": False,
        "public_reply": None,
        "private_followup": None,
    }


@pytest.fixture
def llm_server() -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn(default_reply=german_answer) as stand_in:
        yield stand_in


class TestEvalCommand:
    def test_eval_drafts_with_the_llm_prints_each_draft_and_the_totals(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, llm_server: OpenAIStandIn
    ) -> None:
        enquiries = tmp_path / "enquiries.jsonl"
        enquiries.write_text("\n".join(json.dumps(e) for e in ENQUIRIES), encoding="utf-8")
        monkeypatch.setenv("REPLYDESK_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("LLM_PROVIDER", "openai")
        monkeypatch.setenv("OPENAI_BASE_URL", f"{llm_server.url}/v1")
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("COLUMNS", "200")

        result = CliRunner().invoke(
            app,
            ["eval", "drafts", str(enquiries), "--knowledge-dir", str(FIXTURE_KNOWLEDGE)],
        )

        assert result.exit_code == 0, result.output
        assert llm_server.count("chat.completions") == 2
        assert "Draft evaluation" in result.output
        rows = {line.split()[1]: line for line in result.output.splitlines() if "│" in line[:3]}
        assert "llm" in rows["e1"] and "llm" in rows["e2"]
        assert "2/2" in rows["total"]  # language and citations hold for both
        assert "1/2" in rows["total"]  # "du" on the webhook's Sie channel is counted
        assert "Against expect" not in result.output  # no line carries an expect

    def test_eval_drafts_reports_outcomes_against_expect_and_lists_the_misses(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        expects = [
            {"action": "review", "entries": ["app-login-de", "app-login-en"]},
            {"action": "review", "entries": ["app-login-de", "app-login-en"]},
        ]
        lines = [{**e, "expect": x} for e, x in zip(ENQUIRIES, expects, strict=True)]
        enquiries = tmp_path / "enquiries.jsonl"
        enquiries.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
        monkeypatch.setenv("REPLYDESK_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("COLUMNS", "200")

        result = CliRunner().invoke(
            app,
            ["eval", "drafts", str(enquiries), "--knowledge-dir", str(FIXTURE_KNOWLEDGE)],
        )

        assert result.exit_code == 0, result.output
        rows = {line.split()[1]: line for line in result.output.splitlines() if "│" in line[:3]}
        assert "answered-wrong" in rows["e1"] and "answered-right" in rows["e2"]
        assert "1/2 match" in rows["total"]
        assert "Against expect (2 lines)" in result.output
        assert "1/2 match their expect." in result.output
        assert (
            "e1: expected review [app-login-de, app-login-en], got review [returns-window-de] "
            "(answered-wrong)"
        ) in result.output
        assert "e2:" not in result.output
