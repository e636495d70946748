"""The company's voice from the guidelines' front matter: team name, sign-off, handles.

Templates in `prompts/` stay company-neutral; a company using its own knowledge folder signs
with its own name. Front matter (all keys optional):

```yaml
voice:
  company: Nordlicht Home
  team: Nordlicht-Team
  handles: {x: "@nordlicht_home", instagram: "nordlicht.home"}
  sign_off:
    de: {du: "Viele Grüße, dein Nordlicht-Team", sie: "Freundliche Grüße, Ihr Nordlicht-Team"}
    en: "Best wishes, the Nordlicht team"
  no_sign_off_on: [x]
  derive_salutation_title: false
```
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.errors import KnowledgeError
from bot.models import Language, Register


@dataclass(frozen=True)
class CompanyVoice:
    """How the company signs and names itself; empty values mean "leave it out"."""

    company: str = ""
    team: str = ""
    handles: dict[str, str] = field(default_factory=dict)
    # (language, register) -> sign-off line
    sign_offs: dict[tuple[Language, Register], str] = field(default_factory=dict)
    no_sign_off_on: frozenset[str] = frozenset()
    # §6: may "Gerda Hoffmann" become "Frau Hoffmann"? Only when the guidelines say so.
    derive_salutation_title: bool = False

    def sign_off(self, language: Language, register: Register, channel: str) -> str:
        """The closing line for a reply, or "" where the guidelines want none (e.g. on X)."""
        if channel in self.no_sign_off_on:
            return ""
        return self.sign_offs.get((language, register), "")

    @property
    def names(self) -> frozenset[str]:
        """Every name the company posts under: handles, company and team name (lower case)."""
        raw = [*self.handles.values(), self.company, self.team]
        return frozenset(name.strip().lstrip("@").lower() for name in raw if name.strip())


def parse_voice(raw: object, source: str) -> CompanyVoice:
    """Read the `voice:` mapping of a guidelines file.

    Raises:
        KnowledgeError: when a key has the wrong shape, naming the key.
    """
    if raw is None:
        return CompanyVoice()
    if not isinstance(raw, dict):
        raise KnowledgeError(source, "'voice' must be a mapping (company, team, sign_off, …)")
    handles = raw.get("handles") or {}
    if not isinstance(handles, dict):
        raise KnowledgeError(source, "'voice.handles' must map channel names to handles")
    no_sign_off = raw.get("no_sign_off_on") or []
    if not isinstance(no_sign_off, list):
        raise KnowledgeError(source, "'voice.no_sign_off_on' must be a list of channels")
    return CompanyVoice(
        company=str(raw.get("company") or ""),
        team=str(raw.get("team") or ""),
        handles={str(channel): str(handle) for channel, handle in handles.items()},
        sign_offs=_sign_offs(raw.get("sign_off"), source),
        no_sign_off_on=frozenset(str(channel) for channel in no_sign_off),
        derive_salutation_title=bool(raw.get("derive_salutation_title", False)),
    )


def _sign_offs(raw: object, source: str) -> dict[tuple[Language, Register], str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise KnowledgeError(source, "'voice.sign_off' must map languages (de, en) to lines")
    sign_offs: dict[tuple[Language, Register], str] = {}
    for key, value in raw.items():
        try:
            language = Language(str(key))
        except ValueError:
            raise KnowledgeError(source, f"'voice.sign_off' has unknown language {key!r}") from None
        per_register = value if isinstance(value, dict) else {r.value: value for r in Register}
        for register_name, line in per_register.items():
            try:
                register = Register(str(register_name))
            except ValueError:
                message = f"'voice.sign_off.{key}' has unknown register {register_name!r}"
                raise KnowledgeError(source, message) from None
            sign_offs[(language, register)] = str(line)
    return sign_offs
