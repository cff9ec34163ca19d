"""A sweep that escalates 10,000 clocks writes each one's notification in the transaction
that writes the escalation: a batch that fails leaves neither behind."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select, text

from models.tables import Escalation, History, Item, Notification, table
from states.sweep import sweep
from tests.integration.notifications.life import many_warnings, sh

ESC, NOTE, HISTORY, ITEM = table(Escalation), table(Notification), table(History), table(Item)
N = 10_000


def _count(engine: Engine, t: object, *where: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t).where(*where)).scalar_one())


def _unpaired(engine: Engine) -> int:
    """Escalations without their notification, plus notifications without their escalation."""
    with engine.connect() as conn:
        # states/outbox.py: cause "esc:{clock}:{level}", then ":{template}:{audience}".
        wanted = {
            f"esc:{r.clock_id}:{r.level}:{r.level}:person_in_charge"
            for r in conn.execute(select(ESC.c.clock_id, ESC.c.level))
        }
        written = set(conn.execute(select(NOTE.c.dedupe_key)).scalars())
    return len(wanted ^ written)


def _fail_notifications_of(engine: Engine, item_id: int) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER outage BEFORE INSERT ON notification "
                    f"WHEN NEW.item_id = {item_id} BEGIN SELECT RAISE(ABORT, 'outage'); END"
                )
            )
            return
        conn.execute(
            text(
                "CREATE FUNCTION outage() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.item_id = {item_id} THEN RAISE EXCEPTION 'outage'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER outage BEFORE INSERT ON notification "
                "FOR EACH ROW EXECUTE FUNCTION outage()"
            )
        )


def _mend(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "DROP TRIGGER outage"
                + ("" if engine.dialect.name == "sqlite" else " ON notification")
            )
        )


@pytest.mark.slow
def test_a_sweep_of_10000_clocks_writes_each_notification_with_its_escalation(
    engine: Engine,
) -> None:
    with engine.connect() as conn:
        start = conn.execute(select(func.coalesce(func.max(ITEM.c.id), 0))).scalar_one()
    _fail_notifications_of(engine, start + N // 2)
    with pytest.raises(Exception, match="outage"):
        many_warnings(engine, N)
    done = _count(engine, ESC)
    assert 0 < done < N  # the batches before the failing one committed, that one did not
    assert _count(engine, NOTE) == done and _unpaired(engine) == 0
    assert _count(engine, HISTORY, HISTORY.c.event == "escalate") == done
    _mend(engine)
    result = sweep(engine, sh(2024, 9, 30))
    assert len(result.escalations) == N - done and result.notifications == N - done
    assert _count(engine, ESC) == _count(engine, NOTE) == N
    assert _unpaired(engine) == 0
