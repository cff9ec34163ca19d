"""What every command shares: settings, the clock, JSON input and output, error exits."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from sqlalchemy import Engine

from rectiflow.settings import settings
from states.calendar import parse_instant
from states.errors import BadInput, RectiflowError

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
P = ParamSpec("P")
T = TypeVar("T")

JSON_OPT = typer.Option(False, "--json", help="Print JSON instead of a table.")


def now_or(at: str | None) -> datetime:
    """The instant given with ``--at``/``--now``, or the current time (only the shell reads it)."""
    if at is None:
        return datetime.now(UTC)
    try:
        return parse_instant(at)
    except ValueError as e:
        raise BadInput(f"时间格式有误：{at!r}", str(e)) from None


def read_json(path: Path | None, what: str = "data file") -> Any:
    """The JSON in ``path`` ('-' for stdin), or BadInput naming the file, line and column."""
    if path is None:
        return None
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise BadInput(
            f"无法读取文件 {path}：{e.strerror}", f"cannot read {what} {path}: {e.strerror}"
        ) from None
    except UnicodeDecodeError as e:
        raise BadInput(
            f"文件 {path} 不是 UTF-8 编码（第 {e.start} 字节）",
            f"{what} {path} is not UTF-8 (byte {e.start}: {e.reason})",
        ) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise BadInput(f"JSON 嵌套过深：{path}", f"JSON nested too deeply in {path}") from None
    except json.JSONDecodeError as e:
        where = f"{path}: line {e.lineno}, column {e.colno}"
        raise BadInput(
            f"JSON 格式有误（{where}）：{e.msg}", f"malformed JSON in {where}: {e.msg}"
        ) from None


def print_json(value: Any) -> None:
    """JSON on stdout, Chinese kept readable."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def handled(fn: Callable[P, T]) -> Callable[P, T]:
    """Turn the rules' errors into their exit codes, with the reason on stderr."""

    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except RectiflowError as e:
            err.print(f"[bold red]{type(e).__name__}[/]: {e.zh}", highlight=False, markup=True)
            err.print(f"  {e.en}", highlight=False, markup=False)
            for problem in getattr(e, "problems", []):
                err.print(f"  - {problem}", highlight=False, markup=False)
            raise typer.Exit(e.exit_code) from None

    return run


@contextmanager
def engine_ctx() -> Iterator[Any]:
    """The configured engine, disposed of afterwards."""
    engine = settings().engine()
    try:
        yield engine
    finally:
        engine.dispose()


def announce(engine: Engine, fired: dict[str, Any], *, actor: str, role: str) -> None:
    """Tell the Prefect event feed about a committed transition, when a Prefect API is
    configured (``PREFECT_API_URL``); best effort, as from a flow."""
    if not os.environ.get("PREFECT_API_URL") or fired.get("replayed"):
        return
    from flows import feed  # only now: importing Prefect costs a second at every start
    from states.monitor import item_label

    with engine.connect() as conn:
        labels = item_label(conn, f"#{fired['item_id']}")
    feed.emit_transition(fired | {"actor": actor, "role": role}, labels)
