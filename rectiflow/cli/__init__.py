"""The ``rectiflow`` command line (Typer + rich).

Exit codes: 0 success; 1 an audit found breaks; 2 bad input; 3 a refused event or a
conflict. Every read command takes ``--json``.
"""

from __future__ import annotations

import typer
from rich.table import Table

from rectiflow.cli.common import JSON_OPT, engine_ctx, err, handled, now_or, out, print_json
from rectiflow.cli.items import item_app
from rectiflow.settings import settings
from states import deadlines, lifecycle, revisits
from states.audit import verify
from states.sweep import sweep as run_sweep

app = typer.Typer(
    help="Rectiflow: environmental-inspection rectification work (督察整改).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident history.", no_args_is_help=True)
calendar_app = typer.Typer(
    help="The official calendar and provisional due dates.", no_args_is_help=True
)
revisit_app = typer.Typer(help="复查回访: monthly revisits of closed cases.", no_args_is_help=True)
app.add_typer(item_app("case"), name="case")
app.add_typer(item_app("task"), name="task")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(calendar_app, name="calendar")
app.add_typer(revisit_app, name="revisit")


@db_app.command("upgrade")
@handled
def db_upgrade() -> None:
    """Create the schema, or upgrade it to the newest revision."""
    from models.schema import current_revision, upgrade

    with engine_ctx() as engine:
        upgrade(engine)
        out.print(f"database at revision {current_revision(engine)}")


@audit_app.command("verify")
@handled
def audit_verify(json_: bool = JSON_OPT) -> None:
    """Check every item's hash chain; exit 1 naming each edited, inserted or deleted row."""
    with engine_ctx() as engine:
        report = verify(engine)
    if json_:
        print_json(report.to_dict())
    else:
        for b in report.breaches:
            err.print(f"BREACH {b.code}: {b.zh}\n  {b.en}", highlight=False, markup=False)
        out.print(
            f"{report.items} items, {report.rows} history rows, {len(report.breaches)} breach(es)"
        )
    if not report.ok:
        raise typer.Exit(1)


@app.command("sweep")
@handled
def sweep(
    now: str = typer.Option(None, help="ISO-8601 instant to sweep at (default: now)."),
    json_: bool = JSON_OPT,
) -> None:
    """Apply the escalation ladder and close items whose notice period ended."""
    with engine_ctx() as engine:
        result = run_sweep(engine, now_or(now), settings().rules())
    if json_:
        print_json(result.to_dict())
        return
    for e in result.escalations[:50]:
        out.print(f"  {e['ref']}: {e['clock']} → {e['level']}", highlight=False)
    if len(result.escalations) > 50:
        out.print(f"  … and {len(result.escalations) - 50} more")
    out.print(
        f"{len(result.escalations)} escalation(s), {len(result.closed)} closed, "
        f"{result.notifications} notification(s) queued"
    )


@app.command("diagram")
def diagram() -> None:
    """The lifecycle as a Mermaid state diagram, generated from the machine."""
    typer.echo(lifecycle.mermaid(), nl=False)


@app.command("demo")
@handled
def demo(
    at: str = typer.Option(None, help="ISO-8601 instant the demo counts from (default: now)."),
) -> None:
    """Load a realistic data set: Anshan's districts and units, items in every state."""
    from models.schema import upgrade
    from rectiflow.demo import load

    with engine_ctx() as engine:
        upgrade(engine)
        summary = load(engine, now_or(at), settings().rules())
    out.print(summary)


@calendar_app.command("check")
@handled
def calendar_check(json_: bool = JSON_OPT) -> None:
    """The years the official calendar knows, and where each comes from."""
    cal = settings().rules().calendar
    with engine_ctx() as engine:
        provisional = deadlines.provisional_count(engine)
    years = cal.known_years()
    if json_:
        print_json(
            {"years": {str(y): s for y, s in years.items()}, "provisional_clocks": provisional}
        )
        return
    table = Table("year", "source")
    for y, s in years.items():
        table.add_row(str(y), s)
    out.print(table)
    out.print(f"{provisional} clock(s) with a provisional due date (暂定)")


@calendar_app.command("refresh")
@handled
def calendar_refresh(
    at: str = typer.Option(None, help="ISO-8601 instant (default: now)."), json_: bool = JSON_OPT
) -> None:
    """Recompute every provisional due date whose year is now known; history records each."""
    with engine_ctx() as engine:
        changes = deadlines.refresh(engine, now_or(at), settings().rules())
    if json_:
        print_json([c.to_dict() for c in changes])
        return
    for c in changes:
        out.print(f"  {c.ref} {c.clock}: {c.old_due} → {c.new_due}")
    out.print(f"{len(changes)} due date(s) recomputed")


@revisit_app.command("plan")
@handled
def revisit_plan(
    month: str = typer.Option(..., help="YYYY-MM"),
    at: str = typer.Option(None, help="ISO-8601 instant (default: now)."),
    json_: bool = JSON_OPT,
) -> None:
    """Draw the month's reproducible 10% sample of closed cases as planned revisits."""
    with engine_ctx() as engine:
        plan = revisits.plan(engine, month, now_or(at))
    if json_:
        print_json(plan)
        return
    out.print(
        f"{month}: {len(plan['sample'])} of {plan['population']} closed case(s) drawn "
        f"(seed {plan['seed'][:18]}…), {plan['new']} new"
    )
    for ref in plan["sample"]:
        out.print(f"  {ref}")


@revisit_app.command("rate")
@handled
def revisit_rate(month: str = typer.Option(None, help="YYYY-MM"), json_: bool = JSON_OPT) -> None:
    """Revisits done ÷ planned."""
    if month:
        revisits.month_start(month)
    with engine_ctx() as engine:
        figures = revisits.rate(engine, month)
    if json_:
        print_json(figures)
    else:
        out.print(figures)


@app.command("up")
@handled
def up_(
    port: int = typer.Option(4200, help="Port of the local Prefect server."),
    demo_data: bool = typer.Option(
        True, "--demo/--no-demo", help="Load the demo data on first run."
    ),
) -> None:
    """Run the product: a local Prefect server (unless PREFECT_API_URL is set) serving the flows."""
    from models.schema import upgrade
    from rectiflow.up import up

    def prepare(load: bool) -> None:
        from sqlalchemy import func, select

        from models.tables import Item, table

        with engine_ctx() as engine:
            upgrade(engine)
            with engine.connect() as conn:
                empty = (
                    conn.execute(select(func.count()).select_from(table(Item))).scalar_one() == 0
                )
            if load and empty:
                from datetime import UTC, datetime

                from rectiflow.demo import load as load_demo

                out.print(load_demo(engine, datetime.now(UTC), settings().rules()))

    up(port, demo_data, prepare, settings().sweep_minutes)


from rectiflow.cli.status import register as _register_status  # noqa: E402

_register_status(app)


def main() -> None:
    """Entry point of the ``rectiflow`` script."""
    app()
