"""Loading the demo: register in bulk, then replay each life through ``fire``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, func, insert, select

from models.engine import make_engine, writing
from models.tables import District, History, Item, Unit, table
from rectiflow.demo.drafts import Draft
from rectiflow.demo.lives import plan
from rectiflow.demo.texts import (
    CASES,
    CITY,
    CITY_DEPARTMENTS,
    CITY_OFFICE,
    CITY_SUPERVISING,
    DEMO_ACTOR,
    DEPARTMENTS,
    GOVERNMENT,
    REGULAR,
    ROUND,
)
from states.calendar import to_local_iso
from states.editing import update_item
from states.lifecycle import State
from states.registry import parse_new, register
from states.rules import Rules
from states.service import fire

# --- loading --------------------------------------------------------------------------


def load(engine: Engine, at: datetime, rules: Rules) -> str:
    """Load the demo data; returns a one-line summary (or says it was loaded before)."""
    with engine.connect() as conn:
        if _loaded(conn):
            return _already(conn)
    drafts = plan(at, rules)
    with writing(engine) as conn:
        if _loaded(conn):  # another load got there first
            return _already(conn)
        _units(conn)
        ids = _register(conn, drafts, rules)
    replay = _replay_engine(engine)
    try:
        _replay(replay, drafts, ids, rules)
    finally:
        if replay is not engine:
            replay.dispose()
    item = table(Item)
    with engine.connect() as conn:
        q = select(item.c.state, func.count()).where(item.c.id.in_(list(ids.values())))
        states: dict[str, int] = {r[0]: r[1] for r in conn.execute(q.group_by(item.c.state))}
    cases = sum(1 for d in drafts if d.kind == "case")
    spread = ", ".join(f"{s.value} {states.get(s.value, 0)}" for s in State)
    return (
        f"演示数据已载入 / demo loaded at {to_local_iso(at)}: {cases} cases and "
        f"{len(drafts) - cases} tasks of {ROUND} in Anshan ({spread}); "
        "`rectiflow sweep` now escalates the overdue ones"
    )


def _loaded(conn: Connection) -> bool:
    h = table(History)
    q = select(h.c.id).where(h.c.event == "register", h.c.actor == DEMO_ACTOR).limit(1)
    return conn.execute(q).first() is not None


def _already(conn: Connection) -> str:
    h = table(History)
    q = select(func.count()).where(h.c.event == "register", h.c.actor == DEMO_ACTOR)
    n = conn.execute(q).scalar_one()
    return f"演示数据此前已载入，未重复载入 / the demo is already loaded ({n} items); nothing added"


def _units(conn: Connection) -> None:
    """Anshan's districts and the unit tree city → district → unit, where not there yet."""
    dt, ut = table(District), table(Unit)
    have = set(conn.execute(select(dt.c.name)).scalars())
    if missing := [{"name": n} for n in CASES if n not in have]:
        conn.execute(insert(dt), missing)
    districts: dict[str, int] = {r[0]: r[1] for r in conn.execute(select(dt.c.name, dt.c.id))}
    units: dict[str, int] = {r[0]: r[1] for r in conn.execute(select(ut.c.name, ut.c.id))}

    def add(name: str, parent: str | None, district: str | None) -> None:
        if name not in units:
            row = {"name": name, "parent_id": units.get(parent or "")}
            row["district_id"] = districts.get(district or "")
            units[name] = conn.execute(insert(ut).values(**row)).inserted_primary_key[0]  # type: ignore[index]

    add(CITY, None, None)
    for name in CITY_SUPERVISING:
        add(name, CITY, name)
    for name in (*CITY_DEPARTMENTS, CITY_OFFICE):
        add(name, CITY, None)
    for district, government in GOVERNMENT.items():
        add(government, CITY, district)
        for dept in DEPARTMENTS.values() if district in REGULAR else ():
            add(f"{district}{dept}", government, district)


def _register(
    conn: Connection, drafts: Sequence[Draft], rules: Rules
) -> dict[tuple[str, str], int]:
    """Register every draft, one ``register`` per assignment (交办) instant."""
    ids: dict[tuple[str, str], int] = {}
    groups: dict[tuple[datetime, str], list[Draft]] = {}
    for d in drafts:
        groups.setdefault((d.assigned, d.kind), []).append(d)
    for (when, kind), group in sorted(groups.items(), key=lambda g: g[0]):
        items = [parse_new(kind, d.data) for d in group]
        new = register(conn, items, actor=DEMO_ACTOR, role="coordinator", at=when, rules=rules)
        ids |= {(d.ref, kind): i for d, i in zip(group, new, strict=True)}
    return ids


def _replay_engine(engine: Engine) -> Engine:
    """The engine the lives are played on.

    Thousands of small transactions: on a SQLite file they are written with
    ``synchronous=NORMAL``, which in WAL mode may lose the last ones on a power cut but
    never corrupts the database, instead of waiting for the disk after every one.
    """
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return engine
    return make_engine(url.render_as_string(hide_password=False), synchronous="NORMAL")


def _replay(
    engine: Engine, drafts: Sequence[Draft], ids: Mapping[tuple[str, str], int], rules: Rules
) -> None:
    """Fire every step of every item, as its users would."""
    with engine.connect() as conn:  # one connection for every step, not one each
        for d in drafts:
            ref = f"#{ids[d.ref, d.kind]}"
            for s in d.steps:
                if s.event == "update":
                    update_item(
                        conn, ref, actor=s.actor, role=s.role, at=s.at, data=s.data, kind=d.kind
                    )
                else:
                    fire(
                        conn,
                        ref,
                        s.event,
                        actor=s.actor,
                        role=s.role,
                        at=s.at,
                        data=s.data,
                        idempotency_key=s.key,
                        kind=d.kind,
                        rules=rules,
                    )
