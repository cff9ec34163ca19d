"""``rectiflow case …`` and ``rectiflow task …``: one set of commands for both kinds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from models.engine import writing
from rectiflow.cli.common import (
    JSON_OPT,
    announce,
    engine_ctx,
    handled,
    now_or,
    out,
    print_json,
    read_json,
)
from rectiflow.settings import settings
from states import views
from states.editing import update_item
from states.errors import BadInput
from states.lifecycle import STATE_ZH, State
from states.registry import parse_new, register
from states.service import fire

KIND_ZH = {"case": "信访案件", "task": "整改任务"}


def item_app(kind: str) -> typer.Typer:
    """The command group for one kind of item."""
    app = typer.Typer(help=f"{kind.capitalize()}s ({KIND_ZH[kind]}).", no_args_is_help=True)
    ref_help = "intake number (受理编号) or #id" if kind == "case" else "task number or #id"

    @app.command("add")
    @handled
    def add(
        data_file: Path = typer.Option(..., "--data-file", help="JSON object of the new item."),
        actor: str = typer.Option("督改办", help="Who registers it."),
        at: str = typer.Option(None, help="ISO-8601 instant (default: now)."),
        json_: bool = JSON_OPT,
    ) -> None:
        """Register a new item (交办); units and districts named are created if new."""
        data = read_json(data_file)
        payload = parse_new(kind, data)
        when = now_or(at)
        with engine_ctx() as engine, writing(engine) as conn:
            (item_id,) = register(
                conn, [payload], actor=actor, role="coordinator", at=when, rules=settings().rules()
            )
            shown = views.show(conn, f"#{item_id}", kind)
        if json_:
            print_json(shown)
        else:
            out.print(f"registered {kind} {shown['intake_no']} (#{item_id}), state assigned 已交办")

    @app.command("show")
    @handled
    def show(ref: str = typer.Argument(..., help=ref_help), json_: bool = JSON_OPT) -> None:
        """One item with its clocks and escalations."""
        with engine_ctx() as engine, engine.connect() as conn:
            data = views.show(conn, ref, kind)
        if json_:
            print_json(data)
            return
        out.print(
            f"[bold]{data['intake_no']}[/] #{data['id']}  "
            f"{data['state']} {data['state_zh']}  v{data['version']}"
        )
        for key in (
            "district",
            "lead_unit",
            "supervising_unit",
            "summary",
            "address",
            "category",
            "verdict",
            "rectification_due",
            "filing_no",
        ):
            if data.get(key) not in (None, ""):
                out.print(f"  {key}: {data[key]}", highlight=False)
        table = Table("clock", "started", "due", "stopped", "provisional", title="clocks 时限")
        for c in data["clocks"]:
            table.add_row(
                c["kind"],
                c["started_at"],
                c["due_at"],
                c["stopped_at"] or "",
                "provisional 暂定" if c["provisional"] else "",
            )
        out.print(table)
        if data["escalations"]:
            esc = Table("clock", "level", "at", title="escalations 督办")
            for e in data["escalations"]:
                esc.add_row(e["clock"], e["level"], e["at"])
            out.print(esc)

    @app.command("list")
    @handled
    def list_(
        state: str = typer.Option(None, help="Only items in this state."),
        district: str = typer.Option(None, help="Only items of this district (属地)."),
        overdue: bool = typer.Option(
            False, "--overdue", help="Only items past a running deadline."
        ),
        search: str = typer.Option(None, help="Text in the complaint, summary or address."),
        limit: int = typer.Option(100, help="At most this many rows."),
        now: str = typer.Option(None, help="ISO-8601 instant for --overdue (default: now)."),
        json_: bool = JSON_OPT,
    ) -> None:
        """Items matching the filters, newest first."""
        with engine_ctx() as engine, engine.connect() as conn:
            rows = views.listing(
                conn,
                kind=kind,
                now=now_or(now),
                state=state,
                district=district,
                overdue=overdue,
                search=search,
                limit=limit,
            )
        if json_:
            print_json(rows)
            return
        table = Table("ref", "state", "district", "lead unit", "clock", "due", "overdue")
        for r in rows:
            due = (r["due_at"] or "") + (" 暂定" if r["provisional"] else "")
            table.add_row(
                r["ref"],
                f"{r['state']} {STATE_ZH[State(r['state'])]}",
                r["district"] or "",
                r["lead_unit"] or "",
                r["clock"] or "",
                due,
                f"{r['overdue_days']}d" if r["overdue_days"] else "",
            )
        out.print(table)
        out.print(f"{len(rows)} item(s)")

    @app.command("events")
    @handled
    def events(
        ref: str = typer.Argument(..., help=ref_help),
        at: str = typer.Option(None, help="ISO-8601 instant (default: now)."),
        json_: bool = JSON_OPT,
    ) -> None:
        """The events allowed now, each with its unmet guards."""
        with engine_ctx() as engine, engine.connect() as conn:
            rows = views.events(conn, ref, now_or(at), settings().rules(), kind)
        if json_:
            print_json(rows)
            return
        table = Table("event", "to", "roles", "unmet / needs")
        for r in rows:
            notes = [u["zh"] for u in r["unmet"]] + [f"needs {f}" for f in r["input"]]
            table.add_row(
                f"{r['event']} {r['label']}",
                r["to"],
                ", ".join(r["roles"]),
                "\n".join(notes) or "ready 可执行",
            )
        out.print(table)

    @app.command("update")
    @handled
    def update(
        ref: str = typer.Argument(..., help=ref_help),
        actor: str = typer.Option(..., help="Who edits."),
        role: str = typer.Option(..., help="operator or coordinator."),
        data_file: Path = typer.Option(..., "--data-file", help="JSON object of fields to set."),
        if_version: int = typer.Option(None, "--if-version", help="Refuse if the item moved on."),
        at: str = typer.Option(None, help="ISO-8601 instant (default: now)."),
        json_: bool = JSON_OPT,
    ) -> None:
        """Edit fields editable in the current state; the edit is kept in the history."""
        data = read_json(data_file)
        with engine_ctx() as engine:
            done = update_item(
                engine,
                ref,
                actor=actor,
                role=role,
                at=now_or(at),
                data=data,
                expected_version=if_version,
                kind=kind,
            )
        _report(done.to_dict(), json_)

    @app.command("fire")
    @handled
    def fire_(
        ref: str = typer.Argument(..., help=ref_help),
        event: str = typer.Argument(..., help="The event, e.g. acknowledge."),
        actor: str = typer.Option(..., help="Who fires it."),
        role: str = typer.Option(
            ..., help="coordinator, operator, acceptance_group, review_group, discipline."
        ),
        data_file: Path = typer.Option(None, "--data-file", help="JSON object: the event's data."),
        key: str = typer.Option(None, help="Idempotency key: a retry with it fires once."),
        if_version: int = typer.Option(None, "--if-version", help="Refuse if the item moved on."),
        at: str = typer.Option(None, help="ISO-8601 instant (default: now)."),
        json_: bool = JSON_OPT,
    ) -> None:
        """Fire an event; exit 3 if refused or in conflict, 2 on bad input."""
        data = read_json(data_file)
        if data is not None and not isinstance(data, dict):
            raise BadInput("事件数据须为 JSON 对象", "event data must be a JSON object")
        with engine_ctx() as engine:
            done = fire(
                engine,
                ref,
                event,
                actor=actor,
                role=role,
                at=now_or(at),
                data=data,
                idempotency_key=key,
                expected_version=if_version,
                kind=kind,
                rules=settings().rules(),
            )
            announce(engine, done.to_dict(), actor=actor, role=role)
        _report(done.to_dict(), json_)

    @app.command("history")
    @handled
    def history(ref: str = typer.Argument(..., help=ref_help), json_: bool = JSON_OPT) -> None:
        """The append-only history, oldest first."""
        with engine_ctx() as engine, engine.connect() as conn:
            rows = views.history(conn, ref, kind)
        if json_:
            print_json(rows)
            return
        table = Table("#", "at", "event", "actor", "role", "from → to")
        for r in rows:
            table.add_row(
                str(r["seq"]),
                r["at"],
                r["event"],
                r["actor"],
                r["role"],
                f"{r['from'] or ''} → {r['to']}",
            )
        out.print(table)

    return app


def _report(done: dict[str, Any], json_: bool) -> None:
    if json_:
        print_json(done)
    elif done.get("replayed"):
        out.print(f"{done['ref']}: {done['event']} already applied with this key (replayed)")
    else:
        out.print(
            f"{done['ref']}: {done['event']} {done['from_state']} → {done['to_state']} "
            f"(v{done['version']})"
        )
