"""``rectiflow notifications``: check the routing file, list, retry, preview, dispatch."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from notifications import AUDIENCES, TEMPLATES, Routing, Templates, load
from notifications.dispatcher import from_settings
from notifications.ledger import STATUSES, list_notifications, preview, retry
from notifications.routing import AUDIENCE_ZH
from rectiflow.cli.common import JSON_OPT, engine_ctx, handled, now_or, out, print_json
from rectiflow.settings import settings

notifications_app = typer.Typer(
    help="通知: who receives what, and what became of each notification.", no_args_is_help=True
)


def _who(routing: Routing) -> list[dict[str, Any]]:
    rows = []
    for unit, audiences in [("(defaults)", routing.defaults), *routing.units.items()]:
        for audience, recipients in audiences.items():
            for r in recipients:
                rows.append(
                    {
                        "unit": unit,
                        "audience": audience,
                        "audience_zh": AUDIENCE_ZH.get(audience, audience),
                        "channel": r.channel,
                        "recipient": r.label,
                        "line": r.line,
                    }
                )
    return rows


def _unknown_units(routing: Routing) -> list[str] | None:
    from models.tables import Unit, table

    try:
        with engine_ctx() as engine, engine.connect() as conn:
            known = set(conn.execute(select(table(Unit).c.name)).scalars())
    except SQLAlchemyError:
        return None  # no database yet: the file alone is checked
    return sorted(set(routing.units) - known)


@notifications_app.command("check")
@handled
def check(json_: bool = JSON_OPT) -> None:
    """Validate RECTIFLOW_NOTIFICATIONS_FILE and list who would receive what; exit 2 if bad."""
    path = settings().notifications_file
    routing = load(path)
    Templates(settings().templates_dir)
    rows = _who(routing)
    uncovered = sorted(AUDIENCES - {r["audience"] for r in rows})
    unknown = _unknown_units(routing)
    if json_:
        print_json(
            {
                "file": str(path),
                "recipients": rows,
                "uncovered": uncovered,
                "unknown_units": unknown,
            }
        )
        return
    if path is None:
        out.print("RECTIFLOW_NOTIFICATIONS_FILE is not set: nobody would receive anything")
    table = Table("unit 单位", "audience 接收角色", "channel", "recipient 接收人", "line")
    for r in rows:
        table.add_row(
            r["unit"],
            f"{r['audience']} {r['audience_zh']}",
            r["channel"],
            r["recipient"],
            str(r["line"]),
        )
    out.print(table)
    for audience in uncovered:
        out.print(f"  nobody configured for {audience} ({AUDIENCE_ZH.get(audience, '')}) anywhere")
    for unit in unknown or []:
        out.print(f"  unit {unit!r} is not in the database (yet)")
    out.print(f"{path}: OK, {len(rows)} recipient entr(ies)")


@notifications_app.command("list")
@handled
def list_(
    status: str = typer.Option(None, "--status", help=" | ".join(STATUSES)),
    limit: int = typer.Option(200, help="At most this many rows, newest first."),
    json_: bool = JSON_OPT,
) -> None:
    """Notifications, one row per recipient: channel, recipient, template, status, attempts."""
    with engine_ctx() as engine:
        rows = list_notifications(engine, status, limit)
    if json_:
        print_json(rows)
        return
    table = Table("id", "ref", "template", "channel", "recipient", "status", "attempts", "error")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["ref"],
            r["template"],
            r["channel"] or "-",
            r["recipient"] or f"({r['audience']})",
            r["status"],
            str(r["attempts"]),
            (r["last_error"] or "")[:80],
        )
    out.print(table)
    out.print(f"{len(rows)} row(s)")


@notifications_app.command("retry")
@handled
def retry_(
    ids: list[int] = typer.Argument(..., help="Notification ids (dead ones)."),
    at: str = typer.Option(None, help="ISO-8601 instant (default: now)."),
) -> None:
    """Give dead notifications a fresh set of attempts."""
    with engine_ctx() as engine:
        done = retry(engine, ids, now_or(at))
    out.print(f"{len(done)} notification(s) queued again: {', '.join(map(str, done))}")


@notifications_app.command("preview")
@handled
def preview_(
    template: str = typer.Argument(..., help=", ".join(TEMPLATES)),
    ref: str = typer.Argument(..., help="Item: intake/task number or #id."),
    audience: str = typer.Option(None, help="Render for this audience (default: the template's)."),
    at: str = typer.Option(None, help="ISO-8601 instant (default: now)."),
    json_: bool = JSON_OPT,
) -> None:
    """Render one notification for an item, without sending it."""
    routing = load(settings().notifications_file)
    with engine_ctx() as engine:
        shown = preview(
            engine,
            template,
            ref,
            now_or(at),
            Templates(settings().templates_dir),
            routing,
            audience,
        )
    if json_:
        print_json(shown)
        return
    out.print(f"To: {', '.join(shown['recipients']) or '(nobody configured)'}", highlight=False)
    out.print(f"Subject: {shown['subject']}\n", highlight=False, markup=False)
    out.print(shown["body"], highlight=False, markup=False)


@notifications_app.command("dispatch")
@handled
def dispatch(
    limit: int = typer.Option(500, help="At most this many delivery attempts."),
    at: str = typer.Option(None, help="ISO-8601 instant to dispatch at (default: the clock)."),
    json_: bool = JSON_OPT,
) -> None:
    """Deliver due notifications once (the dispatch-notifications flow does this on schedule)."""
    with engine_ctx() as engine:
        result = from_settings(engine, settings()).run(now_or(at) if at else None, limit)
    if json_:
        print_json(result.to_dict())
        return
    out.print(
        f"{result.sent} sent, {result.failed} failed, {result.dead} dead, "
        f"{result.routed} routed, {result.unrouted} without recipients"
    )
