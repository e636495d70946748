"""The offline drafter's reply templates (`prompts/offline/<language>.yaml`), read once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.errors import PermanentError
from bot.models import Language, Register


@dataclass(frozen=True)
class ReplyTemplates:
    """One language's template lines, looked up by key, register and variant."""

    path: Path
    lines: dict[str, object]

    def line(self, key: str, register: Register, variant: str | None = None) -> str:
        """The line for `key` (and `variant`, e.g. an acknowledgement's topic) in `register`.

        Raises:
            PermanentError: the file lacks that key, variant or register.
        """
        section = self.lines.get(key)
        if variant is not None:
            section = section.get(variant) if isinstance(section, dict) else None
        if not isinstance(section, dict) or register.value not in section:
            name = f"{key}.{variant}" if variant else key
            raise PermanentError(f"{self.path}: template {name!r} has no {register.value!r} form")
        return str(section[register.value])

    def greeting(self, register: Register, name: str | None) -> str:
        """The greeting line; `name` is how the customer is greeted ("Anna"), if at all."""
        forms = self.lines.get("greeting")
        chosen = forms.get(register.value) if isinstance(forms, dict) else None
        if not isinstance(chosen, dict) or not {"named", "anonymous"} <= chosen.keys():
            raise PermanentError(f"{self.path}: greeting needs 'named' and 'anonymous'")
        return str(chosen["named"]).format(name=name) if name else str(chosen["anonymous"])

    def continue_after_greeting(self, sentence: str) -> str:
        """Lower-case the first word when it follows "Hallo Anna," (German: "du kannst …").

        Only words listed under `lowercase_after_greeting` change: nouns and the formal
        "Sie"/"Ihr" keep their capital, and languages without the list stay as they are.
        """
        listed = self.lines.get("lowercase_after_greeting")
        words = {str(word) for word in listed} if isinstance(listed, list) else set()
        first, _, rest = sentence.partition(" ")
        if first in words:
            return f"{first[:1].lower()}{first[1:]} {rest}".rstrip()
        return sentence


def load_templates(folder: Path, language: Language) -> ReplyTemplates:
    """Read `<folder>/<language>.yaml` (cached per file).

    Raises:
        PermanentError: the file is missing, not YAML, or not a mapping.
    """
    return _load(folder / f"{language.value}.yaml")


@lru_cache(maxsize=8)
def _load(path: Path) -> ReplyTemplates:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PermanentError(f"reply templates {path} cannot be read: {error}") from None
    if not isinstance(loaded, dict):
        raise PermanentError(f"reply templates {path} must be a mapping")
    return ReplyTemplates(path, loaded)
