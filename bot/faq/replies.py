"""Reads the standard replies (`replies/*.md`): approved texts that answer no FAQ question.

Knowledge editors keep the wording for thanks, "we're looking into it", holding statements
during an outage and the handover to a private channel here, one file per language and
register. The body is the text alone: the greeting and the sign-off are added per customer.

```markdown
---
id: thanks-de-du
kind: thanks            # thanks | looking_into_it | holding_statement | private_handover
language: de
register: du            # German only: du | sie
title: Dank für Lob     # optional; the review card shows it
---
Danke dir für die netten Worte – das freut uns wirklich.
```

A draft cites a standard reply as `reply:<id>` (`StandardReply.citation`), so it never
collides with an FAQ entry id. Standard replies are not FAQ entries: they are not indexed
and retrieval never finds them.

    >>> reply = pick(load_replies(Path("knowledge/replies")), ReplyKind.THANKS, Language.EN)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import frontmatter
import yaml

from bot.errors import KnowledgeError
from bot.models import Language, Register

CITATION_PREFIX = "reply:"


class ReplyKind(StrEnum):
    """What a standard reply is for."""

    THANKS = "thanks"  # praise or thanks that asks nothing
    LOOKING_INTO_IT = "looking_into_it"  # no answer yet: we check and get back
    HOLDING_STATEMENT = "holding_statement"  # an outage (guidelines, crisis clause)
    PRIVATE_HANDOVER = "private_handover"  # personal data is needed: move to a DM


@dataclass(frozen=True)
class StandardReply:
    """One approved text; `register` is None for English, which has no Du/Sie."""

    id: str
    kind: ReplyKind
    language: Language
    register: Register | None
    text: str
    source_path: str
    content_hash: str
    title: str | None = None

    @property
    def citation(self) -> str:
        """How a draft cites this reply: `reply:<id>`."""
        return f"{CITATION_PREFIX}{self.id}"

    @property
    def label(self) -> str:
        """What a reviewer reads for it: the title, else the id."""
        return self.title or self.id

    def serves(self, language: Language, register: Register) -> bool:
        """Tell whether this text fits a reply in `language` and `register`."""
        if self.language is not language:
            return False
        return language is not Language.DE or self.register is register


def load_replies(
    folder: Path, errors: list[KnowledgeError] | None = None
) -> tuple[StandardReply, ...]:
    """Read every `*.md` file in `folder`, in file name order; no folder means no replies.

    Args:
        folder: the knowledge folder's `replies/`.
        errors: collects a `KnowledgeError` per file that was skipped (broken, or an id
            another file has already); the other files are still read.
    """
    replies: dict[str, StandardReply] = {}
    problems: list[KnowledgeError] = []
    for path in sorted(folder.glob("*.md")):
        try:
            reply = parse_reply_file(path)
        except KnowledgeError as error:
            problems.append(error)
            continue
        if reply.id in replies:
            first = replies[reply.id].source_path
            problem = f"duplicate id {reply.id!r}: {first} has it too; this file is skipped"
            problems.append(KnowledgeError(str(path), problem))
            continue
        replies[reply.id] = reply
    if errors is not None:
        errors.extend(problems)
    return tuple(replies.values())


def parse_reply_file(path: Path) -> StandardReply:
    """Parse one `replies/<id>.md` file.

    Raises:
        KnowledgeError: bad YAML, a missing id or kind, an unknown kind, language or
            register, a German reply without a register, an English one with one, or an
            empty text.
    """
    try:
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, ValueError, UnicodeDecodeError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise KnowledgeError(str(path), f"front matter is not valid YAML ({first})") from None
    meta = post.metadata
    reply_id = _required(meta, "id", path)
    kind = _choice(ReplyKind, _required(meta, "kind", path), "kind", path)
    language = _choice(Language, meta.get("language"), "language", path)
    register = _register(meta.get("register"), language, path)
    title = str(meta["title"]).strip() if meta.get("title") else None
    text = post.content.strip()
    if not text:
        raise KnowledgeError(str(path), "the reply text (after the front matter) is empty")
    return StandardReply(
        id=reply_id,
        kind=kind,
        language=language,
        register=register,
        text=text,
        source_path=str(path),
        content_hash=_hash(reply_id, kind, language, str(register), title or "", text),
        title=title,
    )


def matching(
    replies: Iterable[StandardReply], kind: ReplyKind, language: Language, register: Register
) -> tuple[StandardReply, ...]:
    """Every reply of `kind` for `language` and `register` (English: any register)."""
    return tuple(r for r in replies if r.kind is kind and r.serves(language, register))


def pick(
    replies: Iterable[StandardReply],
    kind: ReplyKind,
    language: Language,
    register: Register = Register.DU,
) -> StandardReply | None:
    """The first reply (in file name order) of `kind` for `language` and `register`.

    A German text in the other register is never returned: a Sie channel gets a Sie text
    or none (the caller may rewrite a Du text with `bot.drafting.register.to_sie`).
    """
    found = matching(replies, kind, language, register)
    return found[0] if found else None


def by_citation(replies: Iterable[StandardReply]) -> dict[str, StandardReply]:
    """Index replies by how drafts cite them (`reply:<id>`), for cards and checks."""
    return {reply.citation: reply for reply in replies}


def cited_reply_id(citation: str) -> str | None:
    """The reply id of a `reply:<id>` citation, or None for an FAQ entry id."""
    return citation.removeprefix(CITATION_PREFIX) if citation.startswith(CITATION_PREFIX) else None


def _register(value: object, language: Language, path: Path) -> Register | None:
    if language is not Language.DE:
        if value is not None:
            raise KnowledgeError(str(path), "'register': only German replies have registers")
        return None
    if value is None:
        raise KnowledgeError(
            str(path), "missing 'register' in the front matter ('du' or 'sie' for German)"
        )
    return _choice(Register, value, "register", path)


def _required(meta: dict[str, object], key: str, path: Path) -> str:
    value = meta.get(key)
    if value is None or not str(value).strip():
        raise KnowledgeError(str(path), f"missing {key!r} in the front matter")
    return str(value).strip()


_Choice = TypeVar("_Choice", Language, Register, ReplyKind)


def _choice(kind: type[_Choice], value: object, name: str, path: Path) -> _Choice:
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        expected = " or ".join(repr(member.value) for member in kind)
        raise KnowledgeError(str(path), f"unknown {name} {value!r} (expected {expected})") from None


def _hash(*parts: str) -> str:
    # The same digest as `bot.faq.files.content_hash`, which imports this module.
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()[:32]
