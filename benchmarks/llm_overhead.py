"""LLM drafting cost: prompt tokens per draft and ReplyDesk's own overhead per LLM draft.

Both run the real code path (`bot.drafting.prepare_request` on the sample knowledge, then
`bot.llm.drafter.LlmDrafter` through LangChain and the openai client) against the OpenAI
stand-in from `tests/stand_ins/` on loopback, with no delay, so the model's time is zero.

1. Prompt tokens: what was actually sent (system + draft message + the json_schema response
   format) for each of the 40 sample enquiries, with 5 retrieved entries each. Counted
   exactly with the o200k_base (gpt-4o family) and cl100k_base tokenizers from `bpe-openai`
   when it is installed, plus 3 tokens per message for the chat framing; otherwise
   estimated as characters / 3.2 (German averages about 3.5 characters per token, so the
   estimate errs high). The stand-in's own `usage.prompt_tokens` (whitespace words of the
   JSON messages) is shown too, but it is not a tokenizer. Target: <= 2,000.
2. Overhead per draft, model time excluded: wall time of `LlmDrafter.draft(request)` for
   prepared requests (prompt rendering, loopback HTTP with JSON encoding and decoding in
   LangChain and openai, parsing into the typed answer, the grounding and safety checks),
   p50/p95 over >= 200 drafts after a warm-up. Retrieval is excluded: it is the same for
   every drafter (see latency.py). The offline drafter's time on the same requests is the
   baseline. Target: p95 <= 20 ms. Wall time on a busy machine mostly measures the
   neighbours, so the CPU time this process spent per draft (time.process_time: our code,
   LangChain, openai, and our side of the loopback socket) is shown as well.

   The stand-in runs in a child process, as a real server would: in the same process its
   request handling would compete with the measured code for the GIL. It still answers on
   the critical path, so its own time per request is part of the figure.

   Python's http.server writes headers and body in two sends without TCP_NODELAY, so
   Nagle's algorithm and the client's delayed ACK add about 40 ms to every call. Real servers
   (uvicorn under vLLM, llama.cpp's server, OpenAI) set TCP_NODELAY, and so does the
   stand-in, for the headline row; the baseline row puts a relay that writes the same way
   without TCP_NODELAY in front of the stand-in, to show the artefact.

Usage (from the repo root):
    .venv/bin/python benchmarks/llm_overhead.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing
import re
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import (  # noqa: E402
    SAMPLE_ENQUIRIES,
    SAMPLE_KNOWLEDGE,
    benchmark_settings,
    console,
    median,
    percentile,
    table,
    temp_dir,
)

from bot.drafting import DraftingContext, DraftRequest, OfflineDrafter, prepare_request  # noqa: E402
from bot.faq.embedders import UseEmbedder  # noqa: E402
from bot.llm.drafter import LlmDrafter  # noqa: E402
from bot.models import Channel  # noqa: E402
from bot.settings import LlmProvider  # noqa: E402
from bot.wiring import llm_server as server_of  # noqa: E402
from bot.wiring import open_knowledge  # noqa: E402
from tests.stand_ins import OpenAIStandIn  # noqa: E402

CHARS_PER_TOKEN_ESTIMATE = 3.2
MESSAGE_FRAMING_TOKENS = 3
TARGET_TOKENS = 2000
TARGET_P95_MS = 20.0


def scripted_answer(request: dict[str, object]) -> dict[str, object]:
    """A plausible model answer: greets and restates the first offered entry's answer."""
    messages = request["messages"]
    assert isinstance(messages, list)
    prompt = str(messages[1]["content"])
    entry = re.search(r'<entry id="([^"]+)"[^>]*>\nQ: [^\n]*\nA: ([^\n]*)', prompt)
    german = "Language of the reply: German" in prompt
    answer = entry.group(2) if entry else ""
    return {
        "reply": f"{'Hallo' if german else 'Hi'}, {answer}",
        "language": "de" if german else "en",
        "cited_entry_ids": [entry.group(1)] if entry else [],
        "guideline_clause_ids": ["§7", "§8"],
        "confidence": 0.8,
        "needs_escalation": False,
        "public_reply": None,
        "private_followup": None,
    }


class TokenEncoding(Protocol):
    """A tiktoken-compatible encoding, as `bpe_openai.get_encoding` returns."""

    def encode(self, text: str) -> Sequence[int]: ...


def token_counters() -> dict[str, TokenEncoding]:
    try:
        import bpe_openai  # optional and untyped: see [tool.mypy] overrides
    except ImportError:
        console.print("[yellow]bpe-openai not installed: token counts are estimates[/yellow]")
        return {}
    return {name: bpe_openai.get_encoding(name) for name in ("o200k_base", "cl100k_base")}


def prompt_tokens(body: dict[str, object], counters: dict[str, TokenEncoding]) -> dict[str, float]:
    messages = body["messages"]
    assert isinstance(messages, list)
    texts = [str(m["content"]) for m in messages] + [json.dumps(body["response_format"])]
    counts: dict[str, float] = {"characters": float(sum(len(t) for t in texts))}
    framing = MESSAGE_FRAMING_TOKENS * (len(messages) + 1)
    for name, encoding in counters.items():
        counts[name] = float(sum(len(encoding.encode(t)) for t in texts) + framing)
    if not counters:
        counts["estimate"] = counts["characters"] / CHARS_PER_TOKEN_ESTIMATE + framing
    return counts


async def prepared_requests(root: Path) -> list[DraftRequest]:
    settings = benchmark_settings(root)
    opened = open_knowledge(settings, SAMPLE_KNOWLEDGE, embedder=UseEmbedder())
    context = DraftingContext(
        opened.retriever, opened.knowledge.guidelines, OfflineDrafter(), passages_per_draft=5
    )
    requests: list[DraftRequest] = []
    for line in SAMPLE_ENQUIRIES.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        request = prepare_request(
            context, item["text"], Channel(item["channel"]), item.get("author_name")
        )
        if not request.triage.is_spam:  # spam never reaches the model
            requests.append(request)
    return requests


class RelayServer(ThreadingHTTPServer):
    """The relay's listening socket; `upstream` is the stand-in's (host, port)."""

    daemon_threads = True
    upstream: tuple[str, int]


class NagleRelay(BaseHTTPRequestHandler):
    """Passes each request on to the stand-in and writes its answer back without TCP_NODELAY.

    Like http.server's default: headers and body in two sends with Nagle's algorithm on, so
    the body waits for the client's ACK of the headers, which the client delays.
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = False  # the point of this relay
    server: RelayServer

    def setup(self) -> None:
        super().setup()
        self.upstream = http.client.HTTPConnection(*self.server.upstream)  # one per client

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.upstream.close()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        content_type = self.headers.get("Content-Type", "application/json")
        self.upstream.request(self.command, self.path, body, {"Content-Type": content_type})
        answer = self.upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.getheader("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()  # first send: the status line and headers
        self.wfile.write(data)  # second send: held back by Nagle until the first is ACKed

    do_GET = do_POST

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet."""


@contextmanager
def nagle_relay(url: str) -> Iterator[str]:
    """A relay without TCP_NODELAY in front of the server at `url`; yields the relay's URL."""
    parts = urlsplit(url)
    relay = RelayServer(("127.0.0.1", 0), NagleRelay)
    relay.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
    thread = threading.Thread(target=relay.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        host, port = relay.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        relay.shutdown()
        relay.server_close()
        thread.join(timeout=5)


def serve(conn: Connection, nodelay: bool) -> None:
    """Child process: run one stand-in until told to stop, then hand back what it received.

    With `nodelay` False the client talks to the stand-in through a `NagleRelay`.
    """
    with OpenAIStandIn(default_reply=scripted_answer) as server:
        if nodelay:
            conn.send(server.url)
            conn.recv()
        else:
            with nagle_relay(server.url) as url:
                conn.send(url)
                conn.recv()
        conn.send(server.requests())


def start_server(nodelay: bool) -> tuple[Connection, str]:
    # fork before the embedding model and event loop exist in this process
    parent, child = multiprocessing.get_context("fork").Pipe()
    multiprocessing.get_context("fork").Process(
        target=serve, args=(child, nodelay), daemon=True
    ).start()
    return parent, str(parent.recv())


def stop_server(conn: Connection) -> list[dict[str, object]]:
    conn.send("stop")
    bodies: list[dict[str, object]] = conn.recv()
    return bodies


async def time_drafts(
    requests: list[DraftRequest], rounds: int, url: str
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Draft every request `rounds` times: LLM wall ms, LLM CPU ms, offline ms, usage."""
    with temp_dir() as root:
        settings = benchmark_settings(
            root,
            llm_provider=LlmProvider.OPENAI,
            openai_base_url=f"{url}/v1",
            openai_api_key="bench",
            llm_max_retries=0,
        )
        drafter = LlmDrafter(server_of(settings))
        offline = OfflineDrafter()
        usage = [float((await drafter.draft(q)).prompt_tokens) for q in requests]  # warm-up
        llm_ms: list[float] = []
        cpu_ms: list[float] = []
        offline_ms: list[float] = []
        for _ in range(rounds):
            for request in requests:
                started, cpu = time.perf_counter(), time.process_time()
                await drafter.draft(request)
                llm_ms.append((time.perf_counter() - started) * 1000)
                cpu_ms.append((time.process_time() - cpu) * 1000)
                started = time.perf_counter()
                await offline.draft(request)
                offline_ms.append((time.perf_counter() - started) * 1000)
    return llm_ms, cpu_ms, offline_ms, usage


async def run(rounds: int, fast: tuple[Connection, str], nagle: tuple[Connection, str]) -> None:
    with temp_dir() as root:
        requests = await prepared_requests(root)
    llm_ms, cpu_ms, offline_ms, usage = await time_drafts(requests, rounds, fast[1])
    nagle_ms, _, _, _ = await time_drafts(requests, 1, nagle[1])
    bodies = stop_server(fast[0])[: len(requests)]
    stop_server(nagle[0])

    counters = token_counters()
    counted = [prompt_tokens(body, counters) for body in bodies]
    entries = sorted({len(request.passages) for request in requests})
    rows = []
    for key in [*counted[0].keys(), "stand-in usage (words)"]:
        values = usage if key.startswith("stand-in") else [c[key] for c in counted]
        rows.append((key, median(values), percentile(values, 95), max(values)))
    table(
        f"Prompt size per draft ({len(requests)} sample enquiries, {entries} entries each)",
        ["measure", "median", "p95", "max"],
        rows,
    )
    worst = max(c.get("cl100k_base", c.get("estimate", 0.0)) for c in counted)
    verdict = "meets" if worst <= TARGET_TOKENS else "MISSES"
    console.print(f"Largest prompt: {worst:.0f} tokens, {verdict} the {TARGET_TOKENS} target.")

    def row(name: str, samples: list[float]) -> tuple[object, ...]:
        return (name, len(samples), median(samples), percentile(samples, 95), max(samples))

    table(
        "Time per draft, model time zero (retrieval excluded)",
        ["drafter", "drafts", "p50 ms", "p95 ms", "max ms"],
        [
            row("LLM drafter, loopback stand-in with TCP_NODELAY", llm_ms),
            row("  the same, CPU time of this process", cpu_ms),
            row("baseline: relay without TCP_NODELAY (Nagle)", nagle_ms),
            row("offline drafter (baseline)", offline_ms),
        ],
    )
    p95 = percentile(llm_ms, 95)
    verdict = "meets" if p95 <= TARGET_P95_MS else "MISSES"
    console.print(
        f"LLM pipeline overhead p95 {p95:.1f} ms, {verdict} the {TARGET_P95_MS:.0f} ms target."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="passes over the sample enquiries")
    args = parser.parse_args()
    fast, nagle = start_server(nodelay=True), start_server(nodelay=False)
    asyncio.run(run(args.rounds, fast, nagle))
    load = Path("/proc/loadavg")  # other work on the machine shows up in the p95
    if load.exists():
        console.print(f"Load average (1 min) after the run: {load.read_text().split()[0]}")


if __name__ == "__main__":
    main()
