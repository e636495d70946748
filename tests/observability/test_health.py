"""/healthz says the process answers; /readyz names each dependency that does not."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from bot.faq.embedders import Embedder
from bot.faq.opening import OpenedKnowledge
from bot.observability.health import (
    OK,
    CachedCheck,
    Readiness,
    database_check,
)
from bot.settings import Settings
from bot.storage import Database
from tests.channels.harness import channel_settings, eventually, serve_app
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.observability.harness import closed_port, unserved_runtime
from tests.observability.proxy import TcpProxy
from tests.slack import harness
from tests.stand_ins import SlackStandIn


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class TestHealthz:
    async def test_healthz_and_readyz_answer_ok_with_nothing_configured(
        self, tmp_path: Path, use_embedder: Embedder
    ) -> None:
        settings = Settings(data_dir=tmp_path, knowledge_dir=FIXTURE_KNOWLEDGE)
        async with serve_app(settings, use_embedder) as app:
            health = await app.http.get(f"{app.url}/healthz")
            ready = await app.http.get(f"{app.url}/readyz")

        assert (health.status_code, health.json()) == (200, {"ok": True})
        assert ready.status_code == 200
        assert ready.json() == {"ready": True, "checks": {"database": OK, "knowledge": OK}}

    async def test_healthz_stays_ok_while_the_database_is_unreachable(
        self, fixture_knowledge: OpenedKnowledge
    ) -> None:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test?connect_timeout=1"
        runtime = unserved_runtime(url, fixture_knowledge)
        transport = httpx.ASGITransport(app=runtime.asgi())
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://replydesk") as http:
                health = await http.get("/healthz")
                ready = await http.get("/readyz")
        finally:
            await runtime.desk.db.dispose()

        assert health.status_code == 200
        assert ready.status_code == 503
        assert ready.json() == {
            "ready": False,
            "checks": {"database": "unreachable (OperationalError)", "knowledge": OK},
        }


class TestReadyz:
    async def test_readyz_names_the_database_while_postgresql_is_cut_off_and_recovers(
        self, tmp_path: Path, use_embedder: Embedder, postgres_url: str
    ) -> None:
        async with TcpProxy("127.0.0.1", 5432) as proxy:
            proxied = postgres_url.replace("127.0.0.1:5432/", f"127.0.0.1:{proxy.port}/")
            settings = channel_settings(tmp_path, database_url=proxied)
            async with serve_app(settings, use_embedder) as app:
                before = await app.http.get(f"{app.url}/readyz")
                proxy.cut()
                during = await app.http.get(f"{app.url}/readyz")
                alive = await app.http.get(f"{app.url}/healthz")
                proxy.restore()
                after: list[httpx.Response] = []

                async def ready_again() -> bool:
                    after.append(await app.http.get(f"{app.url}/readyz"))
                    return after[-1].status_code == 200

                await eventually(ready_again)

        assert before.status_code == 200
        assert before.json()["checks"]["database"] == OK
        assert during.status_code == 503
        assert during.json() == {
            "ready": False,
            "checks": {"database": "unreachable (OperationalError)", "knowledge": OK},
        }
        assert alive.status_code == 200
        assert after[-1].json() == {"ready": True, "checks": {"database": OK, "knowledge": OK}}

    async def test_readyz_reports_that_slack_refuses_the_bot_token(
        self, tmp_path: Path, use_embedder: Embedder
    ) -> None:
        with SlackStandIn(token="xoxb-another-token") as slack:
            settings = harness.slack_settings(tmp_path, slack)
            async with harness.served_app(settings, slack, use_embedder) as app:
                answer = await app.http.get(f"{app.url}/readyz")

        assert answer.status_code == 503
        assert answer.json() == {
            "ready": False,
            "checks": {
                "database": OK,
                "knowledge": OK,
                "slack": "auth.test failed: invalid_auth",
            },
        }

    async def test_database_check_passes_while_another_connection_holds_the_sqlite_write_lock(
        self, tmp_path: Path
    ) -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'desk.sqlite3'}")
        await db.migrate()
        readiness = Readiness({"database": database_check(db.engine)}, timeout=1.0)
        try:
            async with db.unit_of_work() as uow:  # BEGIN IMMEDIATE: the write lock
                await uow.events.first_time("test", "held")
                report = await readiness.check()
        finally:
            await db.dispose()

        assert report.checks == {"database": OK}


class TestReadiness:
    async def test_a_hanging_check_is_reported_in_time_and_not_started_twice(self) -> None:
        started = 0
        release = asyncio.Event()

        async def hangs() -> None:
            nonlocal started
            started += 1
            await release.wait()

        async def passes() -> None:
            return None

        readiness = Readiness({"slack": CachedCheck(hangs, 30.0), "database": passes}, 0.05)
        first = await readiness.check()
        second = await readiness.check()
        release.set()
        await asyncio.sleep(0)

        assert first.checks == {"slack": "no answer within 0.05 s", "database": OK}
        assert not first.ready
        assert second.checks == first.checks
        assert started == 1

    async def test_cached_outcome_failed_or_passed_is_reused_until_it_expires(self) -> None:
        clock = FakeClock()
        answers = ["invalid_auth", None]
        calls = 0

        async def slack() -> None:
            nonlocal calls
            calls += 1
            problem = answers.pop(0)
            if problem is not None:
                raise RuntimeError(problem)

        readiness = Readiness({"slack": CachedCheck(slack, 30.0, clock=clock)})
        failed = [(await readiness.check()).checks["slack"]]
        clock.now = 29.0
        failed.append((await readiness.check()).checks["slack"])
        clock.now = 30.0
        passed = (await readiness.check()).checks["slack"]

        assert failed == ["failed (RuntimeError)", "failed (RuntimeError)"]
        assert passed == OK
        assert calls == 2
