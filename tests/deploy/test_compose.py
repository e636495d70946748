"""The compose stack starts and stays up: health checks, restarts, mounts and a safe .env.

The health-check commands run for real against loopback servers; `docker compose config`
and the image build run only where Docker answers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices

from bot.settings import Settings

ROOT = Path(__file__).parents[2]
COMPOSE = ROOT / "docker" / "compose.yaml"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"

# Set by compose or the image; a line in .env.example must not override them.
CONTAINER_OWNED = {
    "REPLYDESK_HOST",
    "REPLYDESK_PORT",
    "REPLYDESK_DATA_DIR",
    "REPLYDESK_KNOWLEDGE_DIR",
    "DATABASE_URL",
    "CHROMA_HOST",
    "CHROMA_PORT",
}
# Variables read by libraries rather than by Settings, documented in .env.example.
THIRD_PARTY = {"ANONYMIZED_TELEMETRY", "LANGSMITH_TRACING", "LANGSMITH_API_KEY"}


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    assert isinstance(services, dict)
    return services


def _setting_names() -> dict[str, str]:
    """Environment variable name -> field name, for every field of Settings."""
    names = {}
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        assert isinstance(alias, AliasChoices)
        names[str(alias.choices[0])] = field_name
    return names


def _active_env_example_lines() -> dict[str, str]:
    active = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line)
        assert match, f"not a KEY=VALUE line: {line!r}"
        active[match[1]] = match[2]
    return active


def _dockerfile_instructions() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [line.strip() for line in joined.splitlines() if line.strip()]


def _dockerfile_env_names() -> set[str]:
    names: set[str] = set()
    for instruction in _dockerfile_instructions():
        if instruction.startswith("ENV "):
            names.update(re.findall(r"([A-Z][A-Z0-9_]*)=", instruction))
    return names


class _CannedServer:
    """A loopback HTTP server on port 0 answering every GET with `status`."""

    def __init__(self) -> None:
        self.status = 200
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(canned.status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])


@pytest.fixture
def canned_server() -> Iterator[_CannedServer]:
    canned = _CannedServer()
    thread = threading.Thread(target=canned.server.serve_forever, daemon=True)
    thread.start()
    yield canned
    canned.server.shutdown()
    canned.server.server_close()
    thread.join()


def _closed_port() -> int:
    probe = _CannedServer()
    probe.server.server_close()
    return probe.port


def _run(command: list[str], **env: str) -> int:
    return subprocess.run(  # noqa: S603 - commands from our own compose file and Dockerfile
        command, env={**os.environ, **env}, capture_output=True, timeout=30, check=False
    ).returncode


class TestComposeFile:
    def test_every_service_restarts_and_checks_its_health(self) -> None:
        for name, service in _services().items():
            assert service.get("restart") == "unless-stopped", name
            check = service["healthcheck"]
            assert check["test"][0] in ("CMD", "CMD-SHELL"), name
            assert {"interval", "timeout", "retries", "start_period"} <= set(check), name

    def test_replydesk_waits_for_healthy_postgres_and_chroma(self) -> None:
        depends_on = _services()["replydesk"]["depends_on"]

        assert depends_on == {
            "postgres": {"condition": "service_healthy"},
            "chroma": {"condition": "service_healthy"},
        }

    def test_replydesk_is_healthy_only_when_ready(self) -> None:
        check = _services()["replydesk"]["healthcheck"]

        assert "/readyz" in " ".join(check["test"])

    def test_postgres_is_checked_with_pg_isready_and_chroma_on_its_heartbeat(self) -> None:
        services = _services()

        assert services["postgres"]["healthcheck"]["test"][1] == "pg_isready"
        assert "/api/v2/heartbeat" in " ".join(services["chroma"]["healthcheck"]["test"])

    def test_knowledge_folder_is_mounted_writable_where_the_service_reads_it(self) -> None:
        replydesk = _services()["replydesk"]
        mounts = [volume.split(":") for volume in replydesk["volumes"]]

        assert ["../knowledge", "/knowledge"] in mounts  # no ":ro": import writes there
        assert (COMPOSE.parent / "../knowledge").resolve() == ROOT / "knowledge"
        assert replydesk["environment"]["REPLYDESK_KNOWLEDGE_DIR"] == "/knowledge"

    def test_env_file_is_optional(self) -> None:
        env_file = _services()["replydesk"]["env_file"]

        assert env_file == [{"path": "../.env", "required": False}]

    def test_compose_sets_address_folders_and_stores_over_the_env_file(self) -> None:
        environment = _services()["replydesk"]["environment"]

        assert set(environment) >= CONTAINER_OWNED
        assert environment["REPLYDESK_HOST"] == "0.0.0.0"  # noqa: S104 - reachable from the host
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        assert environment["CHROMA_HOST"] == "chroma"

    def test_every_variable_compose_sets_is_a_real_setting(self) -> None:
        environment = _services()["replydesk"]["environment"]

        assert set(environment) - set(_setting_names()) == set()

    def test_service_port_is_published(self) -> None:
        ports = _services()["replydesk"]["ports"]
        port = _services()["replydesk"]["environment"]["REPLYDESK_PORT"]

        assert f"{port}:{port}" in ports


class TestHealthChecks:
    @pytest.mark.parametrize(("status", "healthy"), [(200, True), (410, False)])
    def test_chroma_check_wants_status_200_from_the_heartbeat(
        self, canned_server: _CannedServer, status: int, healthy: bool
    ) -> None:
        canned_server.status = status

        assert (_run(self._chroma_command(canned_server.port)) == 0) is healthy

    def test_chroma_check_fails_when_nothing_listens(self) -> None:
        assert _run(self._chroma_command(_closed_port())) != 0

    @pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
    def test_replydesk_checks_pass_only_when_readyz_answers_200(
        self, canned_server: _CannedServer, status: int, healthy: bool
    ) -> None:
        canned_server.status = status
        port = canned_server.port
        compose_check = _services()["replydesk"]["healthcheck"]["test"][1:]
        compose_check[-1] = compose_check[-1].replace(":8080/", f":{port}/")
        compose_check[0] = sys.executable
        image_check = [sys.executable, "-c", self._image_check_code()]

        assert (_run(compose_check) == 0) is healthy
        assert (_run(image_check, REPLYDESK_PORT=str(port)) == 0) is healthy

    @staticmethod
    def _chroma_command(port: int) -> list[str]:
        if shutil.which("bash") is None:
            pytest.skip("no bash on this machine: the Chroma check is a bash one-liner")
        command = list(_services()["chroma"]["healthcheck"]["test"][1:])
        assert "/dev/tcp/127.0.0.1/8000" in command[-1]
        # `$$` is compose's escape for `$`; the port is the test server's.
        command[-1] = command[-1].replace("$$", "$").replace("/8000", f"/{port}")
        return command

    @staticmethod
    def _image_check_code() -> str:
        healthcheck = next(i for i in _dockerfile_instructions() if i.startswith("HEALTHCHECK "))
        exec_form = json.loads(healthcheck[healthcheck.index(" CMD ") + 5 :])
        assert exec_form[:2] == ["python", "-c"]
        return str(exec_form[2])


class TestEnvExample:
    def test_copied_env_overrides_nothing_compose_or_the_image_sets(self) -> None:
        compose_sets = set(_services()["replydesk"]["environment"])
        owned = CONTAINER_OWNED | compose_sets | _dockerfile_env_names()

        assert set(_active_env_example_lines()) & owned == set()

    def test_every_active_line_is_a_setting_or_a_documented_third_party_variable(self) -> None:
        unknown = set(_active_env_example_lines()) - set(_setting_names()) - THIRD_PARTY

        assert unknown == set()

    def test_every_active_value_is_the_settings_default(self) -> None:
        names = _setting_names()
        active = {key: value for key, value in _active_env_example_lines().items() if key in names}

        settings = Settings.model_validate(active)  # validation only: no environment read

        for key in active:
            field = names[key]
            assert getattr(settings, field) == Settings.model_fields[field].default, key


class TestImage:
    def test_image_installs_the_package_in_one_pinned_step(self) -> None:
        runs = [i for i in _dockerfile_instructions() if i.startswith("RUN ")]

        assert not any("--no-deps" in run for run in runs)
        assert any("pip install --no-cache-dir -c constraints.txt ." in run for run in runs)

    def test_image_is_healthy_on_readyz_after_a_generous_start_period(self) -> None:
        healthcheck = next(i for i in _dockerfile_instructions() if i.startswith("HEALTHCHECK "))
        start_period = re.search(r"--start-period=(\d+)s", healthcheck)

        assert "/readyz" in healthcheck
        assert all(f"--{option}=" in healthcheck for option in ("interval", "timeout", "retries"))
        assert start_period and int(start_period[1]) >= 60

    def test_image_runs_as_a_user_with_a_data_volume_and_telemetry_off(self) -> None:
        instructions = _dockerfile_instructions()
        users = [i.split()[1] for i in instructions if i.startswith("USER ")]

        assert users and users[-1] not in ("root", "0")
        assert 'VOLUME ["/data"]' in instructions
        assert any("ANONYMIZED_TELEMETRY=False" in i for i in instructions if i.startswith("ENV "))

    def test_build_context_leaves_out_local_state_and_secrets(self) -> None:
        ignored = set(DOCKERIGNORE.read_text(encoding="utf-8").splitlines())

        assert {".git", ".venv", ".env", ".replydesk", "**/__pycache__"} <= ignored


def _docker(*args: str, timeout: float) -> subprocess.CompletedProcess[str] | None:
    """Run the docker CLI from the repository root; None where there is no CLI."""
    cli = shutil.which("docker")
    if cli is None:
        return None
    return subprocess.run(  # noqa: S603 - the docker CLI with our own arguments
        [cli, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def _answers(*args: str) -> bool:
    result = _docker(*args, timeout=60)
    return result is not None and result.returncode == 0


class TestWithDocker:
    def test_docker_compose_accepts_the_compose_file(self) -> None:
        if not _answers("compose", "version"):
            pytest.skip("no docker compose on this machine: compose config not checked")

        result = _docker("compose", "-f", str(COMPOSE), "config", "-q", timeout=60)

        assert result is not None and result.returncode == 0, result and result.stderr

    @pytest.mark.docker
    def test_image_builds(self) -> None:
        if not _answers("info"):
            pytest.skip("no Docker daemon on this machine: image build not checked")

        result = _docker("build", "-f", str(DOCKERFILE), ".", timeout=1800)

        assert result is not None and result.returncode == 0, result and result.stderr[-4000:]
