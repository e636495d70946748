"""How to reach an OpenAI-compatible server: one value the adapters are built from."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

# OpenAI itself, when no OPENAI_BASE_URL names another server.
DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Local servers (llama.cpp, vLLM, Ollama) accept any key; the client insists on one.
PLACEHOLDER_API_KEY = "not-needed-by-local-servers"


@dataclass(frozen=True)
class LlmServer:
    """An OpenAI-compatible chat server and the limits ReplyDesk keeps with it.

    Args:
        model: the chat model's name on the server, e.g. "gpt-4o-mini".
        base_url: the server's `/v1` URL; OpenAI itself when None.
        api_key: the key; local servers usually accept any value.
        timeout_seconds: per request.
        max_retries: retries of the openai client on timeouts, 429 and 5xx.
        max_concurrency: drafts in flight at once.
    """

    model: str = "gpt-4o-mini"
    base_url: str | None = None
    api_key: SecretStr | None = None
    timeout_seconds: float = 30.0
    max_retries: int = 2
    max_concurrency: int = 4

    @property
    def url(self) -> str:
        """The base URL the client talks to."""
        return self.base_url or DEFAULT_BASE_URL

    @property
    def key(self) -> SecretStr:
        """The key the client sends."""
        return self.api_key or SecretStr(PLACEHOLDER_API_KEY)
