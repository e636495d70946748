"""Fake OpenAI-compatible server: chat completions, embeddings, models."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import math
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .base import RecordedCall, StandIn
from .wire import JSONObject, Reply

ReplyContent = str | JSONObject
DefaultReply = Callable[[JSONObject], ReplyContent]

_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


@dataclass(frozen=True)
class _Queued:
    content: str | None
    tool_name: str | None = None
    usage: JSONObject | None = None


def echo_reply(request: JSONObject) -> ReplyContent:
    """Default reply: a fixed text naming the last user message, for readable failures."""
    messages = request.get("messages")
    last = messages[-1] if isinstance(messages, list) and messages else {}
    content = last.get("content") if isinstance(last, dict) else None
    return f"Stand-in reply to: {content if isinstance(content, str) else '...'}"


def embed_text(text: str, dimensions: int = 64) -> list[float]:
    """Deterministic L2-normalised vector from a hash of `text`.

    Equal texts give equal vectors, so retrieval tests can rely on exact matches.
    """
    values: list[float] = []
    for block in itertools.count():
        digest = hashlib.sha256(f"{block}:{text}".encode()).digest()
        values.extend(b / 127.5 - 1.0 for b in digest)
        if len(values) >= dimensions:
            break
    values = values[:dimensions]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def _tokens(text: str) -> int:
    # A rough count is enough: clients only read the numbers back.
    return max(1, len(text.split()))


class OpenAIStandIn(StandIn):
    """OpenAI-compatible fake; use ``OpenAI(base_url=f"{url}/v1")``.

    Replies come from `queue_reply` / `queue_tool_call` (FIFO), then from
    `default_reply`. Dict replies become JSON content, which is what
    ``with_structured_output(method="json_schema")`` parses.

    Args:
        default_reply: Builds the reply when nothing is queued; gets the request JSON.
        embedding_dimensions: Vector size when the request does not name one.
    """

    def __init__(
        self, default_reply: DefaultReply = echo_reply, embedding_dimensions: int = 64
    ) -> None:
        super().__init__()
        self.default_reply = default_reply
        self.embedding_dimensions = embedding_dimensions
        self._replies: deque[_Queued] = deque()
        self._ids = itertools.count(1)

    def queue_reply(self, content: ReplyContent, usage: JSONObject | None = None) -> None:
        """Queue the next assistant message; a dict is sent as JSON text."""
        text = content if isinstance(content, str) else json.dumps(content)
        with self._lock:
            self._replies.append(_Queued(text, usage=usage))

    def queue_tool_call(
        self, name: str, arguments: JSONObject, usage: JSONObject | None = None
    ) -> None:
        """Queue a function call reply (``finish_reason="tool_calls"``)."""
        with self._lock:
            self._replies.append(_Queued(json.dumps(arguments), tool_name=name, usage=usage))

    def requests(self, api_method: str = "chat.completions") -> list[JSONObject]:
        """Decoded request bodies, e.g. to assert on the messages sent."""
        return [call.params for call in self.calls(api_method)]

    def reset(self) -> None:
        """Forget calls, scripts and queued replies."""
        super().reset()
        with self._lock:
            self._replies.clear()

    # -- StandIn hooks -----------------------------------------------------

    def _api_method(self, http_method: str, path: str) -> str:
        name = path.removeprefix("/v1").strip("/")
        return {"chat/completions": "chat.completions"}.get(name, name)

    def _error_reply(self, api_method: str, status: int, headers: dict[str, str]) -> Reply:
        kind, code = _ERROR_TYPES.get(status, ("server_error", None))
        message = f"Stand-in scripted error {status}"
        return Reply(
            status=status,
            payload={"error": {"message": message, "type": kind, "param": None, "code": code}},
            headers=headers,
        )

    def _handle(self, call: RecordedCall) -> Reply:
        if call.method == "POST" and call.api_method == "chat.completions":
            return self._chat(call.params)
        if call.method == "POST" and call.api_method == "embeddings":
            return self._embeddings(call.params)
        if call.method == "GET" and call.api_method == "models":
            model = {
                "id": "gpt-4o-mini",
                "object": "model",
                "created": 1_700_000_000,
                "owned_by": "stand-in",
            }
            return Reply(payload={"object": "list", "data": [model]})
        error = {
            "message": f"Unknown request URL: {call.method} {call.path}",
            "type": "invalid_request_error",
        }
        return Reply(status=404, payload={"error": {**error, "param": None, "code": "unknown_url"}})

    # -- endpoints -----------------------------------------------------------

    def _chat(self, request: JSONObject) -> Reply:
        with self._lock:
            queued = self._replies.popleft() if self._replies else None
            number = next(self._ids)
        if queued is None:
            produced = self.default_reply(request)
            queued = _Queued(produced if isinstance(produced, str) else json.dumps(produced))
        message: JSONObject = {"role": "assistant", "content": queued.content, "refusal": None}
        finish_reason = "stop"
        if queued.tool_name is not None:
            call_id = f"call_{number:06d}"
            function = {"name": queued.tool_name, "arguments": queued.content}
            message = {
                "role": "assistant",
                "content": None,
                "refusal": None,
                "tool_calls": [{"id": call_id, "type": "function", "function": function}],
            }
            finish_reason = "tool_calls"
        prompt = json.dumps(request.get("messages", []))
        usage: JSONObject = (
            dict(queued.usage)
            if queued.usage
            else {
                "prompt_tokens": _tokens(prompt),
                "completion_tokens": _tokens(queued.content or ""),
            }
        )
        usage.setdefault(
            "total_tokens", _sum_ints(usage.get("prompt_tokens"), usage.get("completion_tokens"))
        )
        head: JSONObject = {
            "id": f"chatcmpl-standin{number:06d}",
            "created": int(time.time()),
            "model": request.get("model", "gpt-4o-mini"),
            "system_fingerprint": "fp_standin",
        }
        if request.get("stream"):
            return _stream(head, message, finish_reason, usage)
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
        return Reply(
            payload={**head, "object": "chat.completion", "choices": [choice], "usage": usage}
        )

    def _embeddings(self, request: JSONObject) -> Reply:
        raw = request.get("input")
        # One string or one token list is a single input; other lists are batches.
        inputs: list[object] = (
            list(raw) if isinstance(raw, list) and not _is_token_list(raw) else [raw]
        )
        size = request.get("dimensions") or self.embedding_dimensions
        dimensions = size if isinstance(size, int) else self.embedding_dimensions
        as_base64 = request.get("encoding_format") == "base64"
        data: list[JSONObject] = []
        for index, item in enumerate(inputs):
            vector = embed_text(item if isinstance(item, str) else json.dumps(item), dimensions)
            encoded: object = vector
            if as_base64:  # the openai client asks for base64 unless told otherwise
                encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(_tokens(i) if isinstance(i, str) else len(json.dumps(i)) for i in inputs)
        return Reply(
            payload={
                "object": "list",
                "data": data,
                "model": request.get("model", "text-embedding-3-small"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )


def _is_token_list(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, int) for v in value)


def _sum_ints(*values: object) -> int:
    return sum(v for v in values if isinstance(v, int))


def _stream(head: JSONObject, message: JSONObject, finish_reason: str, usage: JSONObject) -> Reply:
    """Server-sent events as ``stream=True`` clients expect: deltas, finish, [DONE]."""
    delta = dict(message)
    tool_calls = delta.get("tool_calls")
    if isinstance(tool_calls, list):
        delta["tool_calls"] = [
            {"index": i, **c} for i, c in enumerate(tool_calls) if isinstance(c, dict)
        ]
    chunk = {**head, "object": "chat.completion.chunk"}
    events = [
        {
            **chunk,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}],
        },
        {
            **chunk,
            "choices": [
                {"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish_reason}
            ],
        },
        {**chunk, "choices": [], "usage": usage},
    ]
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    return Reply(raw=body.encode(), content_type="text/event-stream")
