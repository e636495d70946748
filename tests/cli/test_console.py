"""What the terminal shows of drafts judged against their lines' `expect`."""

from __future__ import annotations

from rich.console import Console

from bot.cli.console import render_expectations
from bot.cli.expectations import Expectation, judge_line
from bot.drafting.port import DraftReply
from bot.models import DraftAction, Language


def _console() -> Console:
    return Console(record=True, width=200, force_terminal=False)


def _reply(action: DraftAction, *citations: str) -> DraftReply:
    return DraftReply("Hi Noah, …", Language.EN, action, 0.6, citations=citations)


class TestRenderExpectations:
    def test_shows_counts_with_shares_and_lists_each_miss_with_expected_and_got(self) -> None:
        console = _console()
        answer = Expectation(action=DraftAction.REVIEW, entries=("gift-wrap-en", "gift-wrap-de"))
        verdicts = [
            judge_line("s01", answer, _reply(DraftAction.REVIEW, "gift-wrap-en")),
            judge_line("s32", answer, _reply(DraftAction.REVIEW, "gift-cards-en")),
            judge_line("s33", Expectation(action=DraftAction.IGNORE), _reply(DraftAction.IGNORE)),
            judge_line("s16", Expectation(action=DraftAction.ESCALATE), _reply(DraftAction.IGNORE)),
        ]

        render_expectations(verdicts, console)

        shown = console.export_text()
        assert "answered-right" in shown and "25%" in shown
        assert "2/4 match their expect." in shown
        assert (
            "s32: expected review [gift-wrap-en, gift-wrap-de], got review [gift-cards-en] "
            "(answered-wrong)"
        ) in shown
        assert "s16: expected escalate, got ignore (escalate-ignore-mixed-up)" in shown
        assert "s01:" not in shown and "s33:" not in shown

    def test_prints_nothing_when_no_line_carries_an_expect(self) -> None:
        console = _console()

        render_expectations([], console)

        assert console.export_text() == ""
