"""Reads a knowledge folder (`faq/*.md`, `guidelines/*.md`, `replies/*.md`) into values.

A broken file never stops the rest: it becomes a `KnowledgeError` naming the file and the
problem, and every other entry is still returned. What is read but looks wrong (no FAQ
entries at all, a `translation_of` naming no entry, a standard reply missing in one
language or register) becomes a `KnowledgeWarning`. Standard replies (`bot.faq.replies`)
travel with the guidelines, so every drafter receives them with `DraftRequest.guidelines`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import frontmatter
import yaml

from bot.errors import KnowledgeError
from bot.faq.replies import ReplyKind, StandardReply, load_replies
from bot.faq.response_targets import ResponseTargets, parse_response_targets
from bot.faq.voice import CompanyVoice, parse_voice
from bot.models import ChannelPolicy, FaqEntry, GuidelineClause, Language, Register

_CLAUSE_HEADING = re.compile(r"^##\s+(§\s?\d+[a-z]?)\s+(.+?)\s*$", re.MULTILINE)
# Front matter keys holding the answer in a register other than the body's.
_ANSWER_KEYS = {Register.DU: "answer_du", Register.SIE: "answer_sie"}


@dataclass(frozen=True)
class Guidelines:
    """The social-media guidelines: clauses, the channel policy, and named clause roles.

    `response_targets` come from the `response_times:` front matter (business hours and a
    target per channel); without it no channel has a target and every card is on track.
    `replies` are the approved standard replies of `replies/` (thanks, holding statements,
    …): wording in the company's voice, like the sign-off, so drafters find them here.
    """

    clauses: tuple[GuidelineClause, ...] = ()
    channels: dict[str, ChannelPolicy] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    voice: CompanyVoice = field(default_factory=CompanyVoice)
    response_targets: ResponseTargets = field(default_factory=ResponseTargets)
    replies: tuple[StandardReply, ...] = ()

    def clause_for(self, role: str) -> str | None:
        """Return the clause id that covers `role` (e.g. "register"), if the guidelines name one."""
        clause_id = self.roles.get(role)
        known = {clause.id for clause in self.clauses}
        return clause_id if clause_id in known else None


@dataclass(frozen=True)
class KnowledgeWarning:
    """Something read that looks wrong but skips nothing: an empty folder, a dangling link."""

    path: str
    problem: str


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything read from one knowledge folder, what could not be read, what looks wrong.

    `errors` are files that were skipped; `warnings` skipped nothing (an empty `faq/`
    folder, a `translation_of` naming no entry). `entries` is empty when the folder holds
    no readable FAQ entry.
    """

    entries: tuple[FaqEntry, ...]
    guidelines: Guidelines
    errors: tuple[KnowledgeError, ...] = ()
    warnings: tuple[KnowledgeWarning, ...] = ()

    def by_id(self) -> dict[str, FaqEntry]:
        """Index the entries by id."""
        return {entry.id: entry for entry in self.entries}

    @property
    def replies(self) -> tuple[StandardReply, ...]:
        """The standard replies of `replies/` (none without the folder)."""
        return self.guidelines.replies


def content_hash(*parts: str) -> str:
    """Hash what an entry says, so re-indexing can skip unchanged entries."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()[:32]


def load_knowledge(root: Path) -> KnowledgeBase:
    """Read every FAQ entry, guideline clause and standard reply under `root`.

    Raises:
        KnowledgeError: only when `root` itself is missing; broken files are collected instead.
    """
    if not root.is_dir():
        raise KnowledgeError(str(root), "knowledge folder not found")
    errors: list[KnowledgeError] = []
    entries: dict[str, FaqEntry] = {}
    paths = sorted((root / "faq").glob("*.md"))
    for path in paths:
        try:
            entry = parse_faq_file(path)
        except KnowledgeError as error:
            errors.append(error)
            continue
        if entry.id in entries:
            first = entries[entry.id].source_path
            errors.append(
                KnowledgeError(
                    str(path),
                    f"duplicate id {entry.id!r}: {first} has it too; this file is skipped",
                )
            )
            continue
        entries[entry.id] = entry
    guidelines = _load_guidelines(root / "guidelines", errors)
    replies = load_replies(root / "replies", errors)
    guidelines = replace(guidelines, replies=replies)
    warnings = (
        _folder_warnings(root, paths)
        + _dangling_translations(entries)
        + _missing_replies(root / "replies", replies)
    )
    return KnowledgeBase(tuple(entries.values()), guidelines, tuple(errors), warnings)


def _folder_warnings(root: Path, paths: list[Path]) -> tuple[KnowledgeWarning, ...]:
    """Warn when `root` holds no FAQ file at all: most likely the wrong folder was named."""
    if paths:
        return ()
    hint = "is REPLYDESK_KNOWLEDGE_DIR (or --knowledge-dir) right?"
    folder = root / "faq"
    if not folder.is_dir():
        return (KnowledgeWarning(str(folder), f"no faq/ folder, so no FAQ entries; {hint}"),)
    return (KnowledgeWarning(str(folder), f"no FAQ entries (no *.md files); {hint}"),)


def _dangling_translations(entries: dict[str, FaqEntry]) -> tuple[KnowledgeWarning, ...]:
    return tuple(
        KnowledgeWarning(
            entry.source_path, f"translation_of {entry.translation_of!r} names no entry"
        )
        for entry in entries.values()
        if entry.translation_of is not None and entry.translation_of not in entries
    )


# Every standard reply should exist in each of these; English has no register.
_REPLY_FORMS = ((Language.DE, Register.DU), (Language.DE, Register.SIE), (Language.EN, None))


def _missing_replies(
    folder: Path, replies: tuple[StandardReply, ...]
) -> tuple[KnowledgeWarning, ...]:
    """Warn when a kind of standard reply exists but not in every language and register.

    Drafters then fall back to their own lines (or rewrite Du in Sie), so nothing breaks;
    the editors should still know. Kinds the folder does not use at all are not named.
    """
    have = {(reply.kind, reply.language, reply.register) for reply in replies}
    warnings = []
    for kind in ReplyKind:
        if not any(key[0] is kind for key in have):
            continue
        for language, register in _REPLY_FORMS:
            if (kind, language, register) not in have:
                form = f"{language}/{register}" if register else str(language)
                warnings.append(
                    KnowledgeWarning(str(folder), f"no {kind.value!r} standard reply in {form}")
                )
    return tuple(warnings)


def parse_faq_file(path: Path) -> FaqEntry:
    """Parse one `faq/<id>.md` file.

    A German file may give its answer per register: `register: du|sie` names the body's
    register (Du when absent) and `answer_sie:` / `answer_du:` the answer in the other one.

    Raises:
        KnowledgeError: bad YAML, a missing id or question, an unknown language, a bad date,
            an unknown register, or a register answer that is empty, repeats the body's
            register or sits in an English file.
    """
    try:
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, ValueError, UnicodeDecodeError) as error:
        raise KnowledgeError(
            str(path), f"front matter is not valid YAML ({_first_line(error)})"
        ) from None
    meta = post.metadata
    entry_id = _required_text(meta, "id", path)
    question = _required_text(meta, "question", path)
    language = _language(meta.get("language"), path)
    answer = post.content.strip()
    if not answer:
        raise KnowledgeError(str(path), "the answer (the text after the front matter) is empty")
    alternates = _text_list(meta.get("alternate_questions"), "alternate_questions", path)
    tags = _text_list(meta.get("tags"), "tags", path)
    valid_until = _date(meta.get("valid_until"), path)
    translation_of = meta.get("translation_of")
    register, register_answers = _register_answers(meta, language, path)
    # Only entries that use the register keys hash them, so existing hashes stay as they were.
    register_parts = (
        (f"register={register}", *(f"{key}={text}" for key, text in register_answers))
        if register is Register.SIE or register_answers
        else ()
    )
    return FaqEntry(
        id=entry_id,
        question=question,
        answer=answer,
        language=language,
        alternate_questions=alternates,
        tags=tags,
        valid_until=valid_until,
        translation_of=str(translation_of) if translation_of else None,
        source_path=str(path),
        content_hash=content_hash(
            entry_id, question, *alternates, answer, language, str(valid_until), *register_parts
        ),
        register=register,
        register_answers=register_answers,
    )


def _register_answers(
    meta: dict[str, object], language: Language, path: Path
) -> tuple[Register | None, tuple[tuple[Register, str], ...]]:
    """Read the body's register and the answers in the other register from the front matter."""
    given = {key: meta[key] for key in ("register", *_ANSWER_KEYS.values()) if key in meta}
    if language is not Language.DE:
        if given:
            keys = ", ".join(repr(key) for key in given)
            raise KnowledgeError(str(path), f"{keys}: only German entries have registers")
        return None, ()
    register = _register(given.get("register", Register.DU.value), path)
    answers = []
    for other, key in _ANSWER_KEYS.items():
        if key not in given:
            continue
        if other is register:
            raise KnowledgeError(
                str(path), f"{key!r} repeats the body's register ({register}); set 'register'"
            )
        text = given[key]
        if not isinstance(text, str) or not text.strip():
            raise KnowledgeError(str(path), f"{key!r} must be a non-empty text")
        answers.append((other, text.strip()))
    return register, tuple(answers)


def _register(value: object, path: Path) -> Register:
    return _choice(Register, value, "register", path)


def _load_guidelines(folder: Path, errors: list[KnowledgeError]) -> Guidelines:
    clauses: dict[str, GuidelineClause] = {}
    channels: dict[str, ChannelPolicy] = {}
    roles: dict[str, str] = {}
    voice = CompanyVoice()
    targets = ResponseTargets()
    for path in sorted(folder.glob("*.md")):
        try:
            post = frontmatter.loads(path.read_text(encoding="utf-8"))
            channels.update(_channel_policies(post.metadata.get("channels"), path))
            if "voice" in post.metadata:
                voice = parse_voice(post.metadata["voice"], str(path))
            if "response_times" in post.metadata:
                targets = parse_response_targets(post.metadata["response_times"], str(path))
        except (yaml.YAMLError, ValueError) as error:
            errors.append(KnowledgeError(str(path), f"front matter is not valid YAML ({error})"))
            continue
        except KnowledgeError as error:
            errors.append(error)
            continue
        raw_roles = post.metadata.get("clauses") or {}
        if isinstance(raw_roles, dict):
            roles.update({str(key): str(value) for key, value in raw_roles.items()})
        for clause in split_clauses(post.content, str(path)):
            if clause.id in clauses:
                errors.append(KnowledgeError(str(path), f"duplicate clause {clause.id}"))
                continue
            clauses[clause.id] = clause
    return Guidelines(tuple(clauses.values()), channels, roles, voice, targets)


def split_clauses(text: str, source_path: str = "") -> list[GuidelineClause]:
    """Split guideline Markdown into clauses at `## §N Title` headings."""
    matches = list(_CLAUSE_HEADING.finditer(text))
    clauses = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        clause_id = match.group(1).replace(" ", "")
        body = text[match.end() : end].strip()
        clauses.append(GuidelineClause(clause_id, match.group(2), body, source_path))
    return clauses


def _channel_policies(raw: object, path: Path) -> dict[str, ChannelPolicy]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise KnowledgeError(str(path), "'channels' must map channel names to policies")
    policies = {}
    for channel, policy in raw.items():
        try:
            policies[str(channel)] = ChannelPolicy(
                register=Register(str(policy["register"]).lower()),
                max_length=int(policy["max_length"]),
            )
        except (KeyError, TypeError, ValueError):
            raise KnowledgeError(
                str(path), f"channel {channel!r} needs register (du|sie) and max_length"
            ) from None
    return policies


def _required_text(meta: dict[str, object], key: str, path: Path) -> str:
    value = meta.get(key)
    if value is None or not str(value).strip():
        raise KnowledgeError(str(path), f"missing {key!r} in the front matter")
    return str(value).strip()


def _language(value: object, path: Path) -> Language:
    return _choice(Language, value, "language", path)


_Choice = TypeVar("_Choice", Language, Register)


def _choice(kind: type[_Choice], value: object, name: str, path: Path) -> _Choice:
    """Read a front-matter value that must be one of `kind`'s values ("de", "sie", …)."""
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        expected = " or ".join(repr(member.value) for member in kind)
        raise KnowledgeError(str(path), f"unknown {name} {value!r} (expected {expected})") from None


def _text_list(value: object, key: str, path: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        raise KnowledgeError(str(path), f"{key!r} must be a list")
    return tuple(str(item).strip() for item in value if str(item).strip())


def _date(value: object, path: Path) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise KnowledgeError(
            str(path), f"valid_until {value!r} is not a date (YYYY-MM-DD)"
        ) from None


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
