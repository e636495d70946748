"""How the command line fails: one line a person can act on, and a documented exit code.

Exit codes (README, "Exit codes"):

- 0: done;
- 1: done, but some input was refused (bad rows, broken knowledge files, failed lines, an
  edit that conflicts with someone else's);
- 2: a usage, configuration or input-file error: nothing was done, fix the setting or file;
- 3: a service (database, Chroma, Slack, the model server) did not answer: try again when
  it runs;
- 4: an unexpected error, a bug: run again with `--debug` and report the traceback.

Tracebacks are shown only with `--debug` or `LOG_LEVEL=DEBUG`.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass
from typing import TextIO

DONE = 0
REFUSED_INPUT = 1
CONFIGURATION = 2
UNAVAILABLE = 3
UNEXPECTED = 4
INTERRUPTED = 130


@dataclass(frozen=True)
class Failure:
    """What to tell the person, and the exit code that goes with it."""

    message: str
    exit_code: int


def describe(error: BaseException) -> Failure:
    """Turn any exception that reached the command line into one line and an exit code."""
    from bot.errors import BotError, ConflictError, PermanentError, TransientError

    if isinstance(error, KeyboardInterrupt):
        return Failure("interrupted", INTERRUPTED)
    settings_problem = _settings_problem(error)
    if settings_problem:
        return Failure(settings_problem, CONFIGURATION)
    database_problem = _database_problem(error)
    if database_problem:
        return database_problem
    if isinstance(error, TransientError):
        return Failure(str(error), UNAVAILABLE)
    if isinstance(error, ConflictError):  # someone else changed it first: load and redo
        return Failure(str(error), REFUSED_INPUT)
    if isinstance(error, PermanentError):
        return Failure(str(error), CONFIGURATION)
    if isinstance(error, BotError):
        return Failure(str(error), REFUSED_INPUT)
    if isinstance(error, PermissionError | FileNotFoundError | NotADirectoryError):
        return Failure(_file_problem(error), CONFIGURATION)
    if isinstance(error, ConnectionError | TimeoutError):
        return Failure(f"a service did not answer: {error}", UNAVAILABLE)
    if isinstance(error, OSError) and error.filename:
        return Failure(_file_problem(error), CONFIGURATION)
    name = type(error).__name__
    return Failure(
        f"unexpected {name}: {first_line(error)} (run again with --debug and report it)",
        UNEXPECTED,
    )


def report(error: BaseException, *, debug: bool, stream: TextIO | None = None) -> int:
    """Write the one line (and with `debug` the traceback) and return the exit code."""
    out = stream or sys.stderr
    failure = describe(error)
    if debug:
        traceback.print_exception(error, file=out)
    out.write(f"error: {failure.message}\n")
    out.flush()
    return failure.exit_code


def debugging(argv: list[str]) -> bool:
    """Whether tracebacks were asked for: `--debug` anywhere, or LOG_LEVEL=DEBUG."""
    return "--debug" in argv or os.environ.get("LOG_LEVEL", "").strip().upper() == "DEBUG"


def _settings_problem(error: BaseException) -> str | None:
    """Name the environment variable behind each invalid setting, and its value."""
    from pydantic import ValidationError

    if not isinstance(error, ValidationError) or error.title != "Settings":
        return None
    from bot.settings import Settings

    problems = []
    for detail in error.errors():
        field = str(detail["loc"][0]) if detail["loc"] else ""
        variable = _variable_of(Settings, field)
        value = detail.get("input")
        shown = f"={value}" if isinstance(value, str | int | float) and value != "" else ""
        secret = (
            "token" in variable.lower() or "secret" in variable.lower() or "key" in variable.lower()
        )
        problems.append(f"{variable}{'' if secret else shown}: {_reason(detail['msg'])}")
    return "; ".join(problems) + " (fix it in the environment or .env)"


def _variable_of(settings: type, field: str) -> str:
    """The environment variable a settings field is read from (its first alias)."""
    info = getattr(settings, "model_fields", {}).get(field)
    alias = getattr(info, "validation_alias", None)
    choices = getattr(alias, "choices", None)
    if choices:
        return str(choices[0])
    return field.upper()


def _reason(message: str) -> str:
    """Pydantic's message without its 'Value error, ' prefix."""
    return message.removeprefix("Value error, ")


def _database_problem(error: BaseException) -> Failure | None:
    """Bad URLs are configuration errors; a database that does not answer is unavailable."""
    try:
        from sqlalchemy import exc
    except ImportError:  # pragma: no cover - SQLAlchemy is a dependency
        return None
    if isinstance(error, exc.ArgumentError | exc.NoSuchModuleError):
        return Failure(f"DATABASE_URL is not usable: {first_line(error)}", CONFIGURATION)
    if isinstance(error, exc.OperationalError | exc.InterfaceError):
        cause = error.orig if error.orig is not None else error
        return Failure(
            f"the database did not answer: {first_line(cause)} "
            "(check DATABASE_URL and that the server runs)",
            UNAVAILABLE,
        )
    return None


def _file_problem(error: OSError) -> str:
    reason = (error.strerror or str(error)).lower()
    name = error.filename if error.filename is not None else "a file"
    return f"{name}: {reason}"


def first_line(error: BaseException) -> str:
    """The first line of an error's message, or its type's name when it has none."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
