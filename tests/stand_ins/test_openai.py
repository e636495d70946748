"""The OpenAI stand-in answers openai and ChatOpenAI like the OpenAI API does."""

from __future__ import annotations

import math
from collections.abc import Iterator

import openai
import pytest
from langchain_openai import ChatOpenAI
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, SecretStr

from tests.stand_ins import OpenAIStandIn, embed_text


@pytest.fixture
def llm_server() -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn() as stand_in:
        yield stand_in


class Verdict(BaseModel):
    label: str
    confidence: float


class TestOpenAIStandIn:
    def test_chat_completion_returns_queued_reply(self, llm_server: OpenAIStandIn) -> None:
        llm_server.queue_reply("Ihre Bestellung ist unterwegs.")
        client = openai.OpenAI(base_url=f"{llm_server.url}/v1", api_key="x", max_retries=0)
        completion = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Wo ist meine Bestellung?"}]
        )
        client.close()
        assert completion.choices[0].message.content == "Ihre Bestellung ist unterwegs."
        assert completion.usage is not None
        assert completion.usage.total_tokens > 0
        assert llm_server.requests()[0]["messages"] == [
            {"role": "user", "content": "Wo ist meine Bestellung?"}
        ]

    def test_default_reply_and_streaming(self, llm_server: OpenAIStandIn) -> None:
        llm_server.default_reply = lambda request: f"model={request['model']}"
        with openai.OpenAI(base_url=f"{llm_server.url}/v1", api_key="x", max_retries=0) as client:
            stream = client.chat.completions.create(
                model="m1", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            text = "".join(
                chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices
            )
        assert text == "model=m1"

    def test_openai_429_raises_then_500_is_retried(self, llm_server: OpenAIStandIn) -> None:
        llm_server.fail("chat.completions", status=429)
        messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
        client = openai.OpenAI(base_url=f"{llm_server.url}/v1", api_key="x", max_retries=0)
        with client, pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="m", messages=messages)
        llm_server.fail("chat.completions", status=500, headers={"retry-after-ms": "10"})
        with openai.OpenAI(base_url=f"{llm_server.url}/v1", api_key="x", max_retries=1) as client:
            client.chat.completions.create(model="m", messages=messages)
        assert llm_server.count("chat.completions") == 3

    def test_embeddings_are_deterministic_and_normalised(self, llm_server: OpenAIStandIn) -> None:
        with openai.OpenAI(base_url=f"{llm_server.url}/v1", api_key="x", max_retries=0) as client:
            packed = client.embeddings.create(model="e", input=["refund", "refund", "shipping"])
            floats = client.embeddings.create(model="e", input="refund", encoding_format="float")
            assert [m.id for m in client.models.list()] == ["gpt-4o-mini"]
        vectors = [d.embedding for d in packed.data]
        assert len(vectors[0]) == 64
        assert vectors[0] == vectors[1] != vectors[2]
        assert math.isclose(sum(v * v for v in vectors[0]), 1.0, rel_tol=1e-5)
        assert floats.data[0].embedding == pytest.approx(embed_text("refund"))
        assert llm_server.calls("embeddings")[0].params["encoding_format"] == "base64"

    def test_chat_openai_structured_output_parses_queued_dict(
        self, llm_server: OpenAIStandIn
    ) -> None:
        llm_server.queue_reply({"label": "refund", "confidence": 0.9})
        llm = ChatOpenAI(
            model="gpt-4o-mini",
            base_url=f"{llm_server.url}/v1",
            api_key=SecretStr("x"),
            max_retries=0,
        )
        result = llm.with_structured_output(Verdict).invoke("Ich will mein Geld zurück")
        assert result == Verdict(label="refund", confidence=0.9)
        response_format = llm_server.requests()[0]["response_format"]
        assert isinstance(response_format, dict)
        assert response_format["type"] == "json_schema"

    def test_chat_openai_function_calling_parses_queued_tool_call(
        self, llm_server: OpenAIStandIn
    ) -> None:
        llm_server.queue_tool_call("Verdict", {"label": "shipping", "confidence": 0.5})
        llm = ChatOpenAI(
            model="gpt-4o-mini",
            base_url=f"{llm_server.url}/v1",
            api_key=SecretStr("x"),
            max_retries=0,
        )
        result = llm.with_structured_output(Verdict, method="function_calling").invoke(
            "Wo ist mein Paket?"
        )
        assert result == Verdict(label="shipping", confidence=0.5)
