"""Runs `replydesk serve` as a real subprocess: a free port, env settings, a log file, kill -9.

The service is driven only through its public surface (HTTP, environment settings, its
database). Each `ServiceProcess` keeps one port and one log file across restarts, so a client
can keep its URL and the test can grep everything the process ever printed.

Usage::

    service = ServiceProcess("main", env=service_env(url, data_dir, port=free_port()), ...)
    service.start()          # spawn and wait for /healthz
    service.kill()           # SIGKILL, no shutdown hooks
    service.start()          # same port, log appended
    service.stop()
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_KNOWLEDGE = REPO_ROOT / "tests" / "fixtures" / "knowledge"
# The checkout whose `bot` package the processes run: this one, or another one (e.g. an
# older commit unpacked with `git archive`) to compare. Read at import: the tests' autouse
# fixture clears REPLYDESK_* variables.
SERVICE_SOURCE = Path(os.environ.get("FAULT_SERVICE_SOURCE") or REPO_ROOT)

# Stand-in credentials. Distinctive strings, so a grep of the logs finds any leak.
SLACK_BOT_TOKEN = "xoxb-fault-4f1c9e2a77"
SLACK_SIGNING_SECRET = "slack-signing-fault-9b3d6e0c1f"
WEBHOOK_SECRET = "webhook-fault-secret-5e8a2c4d90"
TELEGRAM_TOKEN = "7364519028:AAHfault9Xq2LmZ0rT4vWcE8yB1nKd3sJ6pQ"
META_APP_SECRET = "meta-app-fault-secret-61d0f3"
META_VERIFY_TOKEN = "meta-verify-fault-token-8a2f55"
META_PAGE_TOKEN = "meta-page-fault-token-0e4b7c"
REVIEW_CHANNEL = "C_FAULT_REVIEW"
CRISIS_CHANNEL = "C_FAULT_LEADS"
REVIEWER = "U_FAULT_REVIEWER"
SECRETS = (
    SLACK_BOT_TOKEN,
    SLACK_SIGNING_SECRET,
    WEBHOOK_SECRET,
    TELEGRAM_TOKEN,
    META_APP_SECRET,
    META_VERIFY_TOKEN,
    META_PAGE_TOKEN,
)

START_TIMEOUT = 60.0


class ServiceDied(AssertionError):
    """The service exited (or never answered /healthz); the message carries its log tail."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(
    database_url: str, data_dir: Path, port: int, **settings: str | None
) -> dict[str, str]:
    """The whole environment of one service process: nothing is inherited but PATH.

    Args:
        database_url: DATABASE_URL (an async SQLAlchemy URL).
        data_dir: REPLYDESK_DATA_DIR (Chroma index, SQLite file); also the working directory.
        port: REPLYDESK_PORT on 127.0.0.1.
        settings: More settings by their environment name; None leaves a default out.
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(data_dir),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(SERVICE_SOURCE),
        "PYTHONUNBUFFERED": "1",
        # Embedded Chroma phones home otherwise; PTB warns about float durations.
        "ANONYMIZED_TELEMETRY": "False",
        "PTB_TIMEDELTA": "true",
        "HF_HUB_OFFLINE": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "REPLYDESK_HOST": "127.0.0.1",
        "REPLYDESK_PORT": str(port),
        "REPLYDESK_DATA_DIR": str(data_dir),
        "REPLYDESK_KNOWLEDGE_DIR": str(FIXTURE_KNOWLEDGE),
        # The hashing embedder needs no model download; drafting stays offline (no LLM).
        "EMBEDDING_MODEL": "hashing",
        "RETRIEVAL_MODE": "hybrid",
        "LLM_PROVIDER": "offline",
        "DATABASE_URL": database_url,
    }
    env.update({key: value for key, value in settings.items() if value is not None})
    return env


def platform_settings(
    *,
    slack_url: str | None = None,
    telegram_url: str | None = None,
    meta_graph_url: str | None = None,
    webhook: bool = True,
) -> dict[str, str | None]:
    """Settings that switch channels on and point them at stand-ins (None: channel off)."""
    settings: dict[str, str | None] = {}
    if webhook:
        settings["WEBHOOK_SECRET"] = WEBHOOK_SECRET
    if slack_url is not None:
        settings |= {
            "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
            "SLACK_REVIEW_CHANNEL": REVIEW_CHANNEL,
            "SLACK_REVIEWERS": REVIEWER,
            "SLACK_API_URL": f"{slack_url}/api/",
            # The workload is a burst the spike watch rightly alerts on: its alerts go to the
            # leads' channel, and one reviewer's click sends (these tests are about crashes,
            # not second sign-offs; tests/services/test_crisis.py covers those).
            "SLACK_CRISIS_CHANNEL": CRISIS_CHANNEL,
            "SECOND_SIGN_OFF_LABELS": "",
        }
    if telegram_url is not None:
        settings |= {"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_API_URL": telegram_url}
    if meta_graph_url is not None:
        settings |= {
            "META_APP_SECRET": META_APP_SECRET,
            "META_VERIFY_TOKEN": META_VERIFY_TOKEN,
            "META_PAGE_TOKEN": META_PAGE_TOKEN,
            "META_GRAPH_URL": meta_graph_url,
        }
    return settings


class ServiceProcess:
    """One `replydesk serve` process that can be started, killed and started again.

    Args:
        name: For messages and the log file name.
        env: The process environment, from `service_env`.
        log_path: Where stdout and stderr go (appended across restarts).
    """

    def __init__(self, name: str, env: Mapping[str, str], log_path: Path) -> None:
        self.name = name
        self.env = dict(env)
        self.log_path = log_path
        self.port = int(self.env["REPLYDESK_PORT"])
        self.starts = 0
        self.kills = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._signalled = False

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The process id of the running service."""
        if self._process is None:
            raise RuntimeError(f"{self.name} is not running")
        return self._process.pid

    def alive(self) -> bool:
        """Whether the process runs (it may not answer yet)."""
        return self._process is not None and self._process.poll() is None

    def spawn(self) -> None:
        """Launch the process without waiting for it to serve."""
        if self.alive():
            raise RuntimeError(f"{self.name} is already running")
        self._reap()
        self._signalled = False
        data_dir = Path(self.env["REPLYDESK_DATA_DIR"])
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bot", "serve"],
            cwd=data_dir,  # no .env file there: the environment is the whole configuration
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.starts += 1

    def wait_ready(self, timeout: float = START_TIMEOUT) -> float:
        """Wait until /healthz answers 200; return the seconds waited.

        Raises:
            ServiceDied: The process exited or did not answer in time.
        """
        started = time.monotonic()
        deadline = started + timeout
        with httpx.Client(timeout=1.0) as client:
            while True:
                if not self.alive():
                    code = self._process.returncode if self._process else None
                    raise ServiceDied(f"{self.name} exited with {code}:\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{self.url}/healthz").status_code == 200:
                        return time.monotonic() - started
                if time.monotonic() > deadline:
                    raise ServiceDied(f"{self.name} did not serve /healthz:\n{self.log_tail()}")
                time.sleep(0.05)

    def start(self, timeout: float = START_TIMEOUT) -> float:
        """Spawn and wait for /healthz; return the seconds it took to serve."""
        self.spawn()
        return self.wait_ready(timeout)

    def signal_kill(self) -> None:
        """Send SIGKILL and return at once (safe from a stand-in's thread); `kill` reaps."""
        process = self._process
        if process is not None and process.returncode is None and not self._signalled:
            self._signalled = True
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
                self.kills += 1

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing, as a crash or an OOM kill."""
        if self._process is not None and self._process.poll() is None:
            self.signal_kill()
        self._reap()

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(grace)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._reap()

    def rss_kib(self) -> int:
        """Resident memory of the process (VmRSS from /proc), in KiB."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS line")

    def log_text(self) -> str:
        """Everything the process printed so far."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_bytes().decode("utf-8", errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the log, for failure messages."""
        return "\n".join(self.log_text().splitlines()[-lines:])

    def _reap(self) -> None:
        if self._process is not None:
            self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None


def start_all(services: Iterable[ServiceProcess], timeout: float = START_TIMEOUT) -> dict[str, str]:
    """Spawn every service at the same moment, then wait for each.

    Returns:
        The services that failed to serve, by name, with their log tails (empty: all serve).
    """
    group = list(services)
    for service in group:
        service.spawn()
    failures: dict[str, str] = {}
    for service in group:
        try:
            service.wait_ready(timeout)
        except ServiceDied as exc:
            failures[service.name] = str(exc)
    return failures


def stop_all(services: Iterable[ServiceProcess]) -> None:
    """Stop every service (SIGTERM, then SIGKILL)."""
    for service in services:
        service.stop()
