"""The reviewer wording file loads whole, fits its callers, and a broken one is refused."""

from __future__ import annotations

import datetime as dt
import string
from pathlib import Path

import pytest
import yaml

from bot.errors import PermanentError
from bot.resources import PROMPTS_DIR
from bot.wording import ReviewWording, load_review_wording, review_wording

SHIPPED = PROMPTS_DIR / "review" / "en.yaml"

# The values each template's callers pass (bot/slack/, bot/services/); keys not listed
# are used as they are, so they must have no placeholder at all.
PLACEHOLDERS: dict[str, set[str]] = {
    "status_rejected": {"by", "reason"},
    "status_approved": {"by"},
    "status_approved_with_edits": {"by"},
    "status_sending": {"approved"},
    "status_sent": {"approved", "message_id"},
    "status_delivery_failed": {"approved", "error"},
    "status_owner": {"owner"},
    "card_header": {"channel", "name"},
    "card_notification": {"channel", "name", "status"},
    "facts_messages": {"count"},
    "facts_language": {"language"},
    "facts_confidence": {"confidence"},
    "facts_suggested": {"suggestion"},
    "facts_labels": {"labels"},
    "card_hidden_messages": {"hidden"},
    "card_draft_heading": {"revision"},
    "card_length": {"count", "limit"},
    "card_length_too_long": {"count", "limit"},
    "card_faq": {"entries"},
    "card_guidelines": {"clauses"},
    "wait_on_track": {"age", "target"},
    "wait_at_risk": {"age", "target"},
    "wait_overdue": {"age", "target"},
    "duration_minutes": {"minutes"},
    "duration_hours": {"hours"},
    "duration_hours_minutes": {"hours", "minutes"},
    "modal_edit_hint": {"channel", "limit"},
    "modal_conversation_message_meta": {"kind", "received"},
    "reason_with_note": {"note", "reason"},
    "already_decided": {"by", "decision"},
    "not_sent": {"problems"},
    "failed_with_reference": {"reference"},
    "forward_drafting": {"review_channel"},
    "forward_seen_before": {"review_channel"},
    "thread_replaced_draft": {"revision", "text"},
    "thread_escalated": {"assignee", "by"},
    "thread_reminder_at_risk": {"age", "target"},
    "thread_reminder_overdue": {"age", "target"},
    "form_reply_too_long": {"channel", "length", "limit"},
    "problem_reply_too_long": {"channel", "length", "limit"},
    "problem_entry_deleted": {"entry"},
    "problem_entry_changed": {"entry"},
    "problem_entry_expired": {"entry", "day"},
    "moderation_card_hidden": {"by", "clause"},
}
# A value of the type callers pass, per placeholder (format specs like `:.0%` need it).
SAMPLES: dict[str, object] = {
    "age": "42 min",
    "approved": "Approved by <@U1>",
    "assignee": "<@U2>",
    "by": "<@U1>",
    "channel": "Telegram",
    "clause": "§11",
    "clauses": "§7 Register",
    "confidence": 0.42,
    "count": 3,
    "day": dt.date(2026, 12, 1),
    "decision": "approved",
    "entries": "Where is my order? (`shipping-time`)",
    "entry": "shipping-time",
    "error": "refused: Slack chat.postMessage: channel_not_found",
    "hidden": 2,
    "hours": 4,
    "kind": "text",
    "labels": "`complaint`",
    "language": "German",
    "length": 1200,
    "limit": 1000,
    "message_id": "12345",
    "minutes": 30,
    "name": "Alex",
    "note": "cites the old price",
    "owner": "<@U2>",
    "problems": "the reply is empty",
    "reason": "Wrong tone",
    "received": dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC),
    "reference": "a1b2c3d4",
    "review_channel": "<#C1>",
    "revision": 2,
    "status": "awaiting_review",
    "suggestion": "check and send",
    "target": "60 min",
    "text": "Hello!",
}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _shipped_mapping() -> dict[str, str]:
    loaded = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _write(path: Path, mapping: dict[str, str]) -> Path:
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    return path


class TestShippedWording:
    def test_shipped_file_has_every_key_and_no_other(self) -> None:
        wording = load_review_wording(SHIPPED)

        assert set(_shipped_mapping()) == set(ReviewWording.model_fields)
        assert all(value.strip() for value in wording.model_dump().values())

    def test_templates_ask_only_for_values_their_callers_pass(self) -> None:
        wording = review_wording()

        unexpected = {
            key: sorted(_placeholders(template) - PLACEHOLDERS.get(key, set()))
            for key, template in wording.model_dump().items()
            if _placeholders(template) - PLACEHOLDERS.get(key, set())
        }

        assert unexpected == {}

    def test_every_template_formats_with_its_callers_values(self) -> None:
        for key, template in review_wording().model_dump().items():
            values = {name: SAMPLES[name] for name in PLACEHOLDERS.get(key, set())}

            assert template.format(**values), key

    def test_conversation_stamp_reads_as_before(self) -> None:
        meta = review_wording().modal_conversation_message_meta

        assert meta.format(received=SAMPLES["received"], kind="photo") == (
            "2026-01-02 03:04 UTC · photo"
        )

    def test_shipped_wording_is_read_once_and_cannot_be_changed(self) -> None:
        wording = review_wording()

        assert review_wording() is wording
        with pytest.raises(ValueError, match="frozen"):
            wording.button_approve = "Ship it"  # type: ignore[misc]


class TestBrokenWordingFile:
    def test_unknown_key_is_refused_naming_file_and_key(self, tmp_path: Path) -> None:
        path = _write(tmp_path / "en.yaml", {**_shipped_mapping(), "button_launch": "Launch"})

        with pytest.raises(PermanentError) as caught:
            load_review_wording(path)

        message = str(caught.value)
        assert str(path) in message
        assert "unknown keys: button_launch" in message
        assert "\n" not in message

    def test_missing_key_is_refused_naming_file_and_key(self, tmp_path: Path) -> None:
        mapping = _shipped_mapping()
        del mapping["button_approve"]
        path = _write(tmp_path / "en.yaml", mapping)

        with pytest.raises(PermanentError, match="missing keys: button_approve") as caught:
            load_review_wording(path)

        assert str(path) in str(caught.value)

    @pytest.mark.parametrize(
        "content",
        ["- just\n- a list\n", "status_drafting: [unclosed\n", "button_approve: 3\n"],
    )
    def test_unusable_file_is_refused_in_one_line(self, tmp_path: Path, content: str) -> None:
        path = tmp_path / "en.yaml"
        path.write_text(content, encoding="utf-8")

        with pytest.raises(PermanentError) as caught:
            load_review_wording(path)

        assert str(caught.value).startswith(f"review wording {path}")
        assert "\n" not in str(caught.value)

    def test_missing_file_is_refused_naming_it(self, tmp_path: Path) -> None:
        path = tmp_path / "de.yaml"

        with pytest.raises(PermanentError, match="cannot be read") as caught:
            load_review_wording(path)

        assert str(path) in str(caught.value)
