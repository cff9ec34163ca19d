"""Outages and crashes lose nothing: the SMTP server down for the first attempts, the
dispatcher killed mid-batch, a receiver that answers 500 forever, dispatchers racing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from models.tables import DeliveryAttempt, NotificationDelivery, table
from notifications import attempts_of, list_notifications
from tests.integration.cli import cli_env
from tests.integration.notifications.life import (
    dispatcher,
    many_warnings,
    outbox,
    sh,
    write_routing,
)
from tests.integration.notifications.servers import Receiver, SmtpServer, free_port

DELIVERY, ATTEMPT = table(NotificationDelivery), table(DeliveryAttempt)
ROOT = Path(__file__).resolve().parents[3]
T0 = sh(2024, 9, 30, 10)
WHO = {"person_in_charge"}


def deliveries(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(DELIVERY).order_by(DELIVERY.c.id)).mappings()]


def outcomes(engine: Engine) -> dict[int, list[str | None]]:
    """Each delivery's attempts, in order, by outcome."""
    out: dict[int, list[str | None]] = {}
    with engine.connect() as conn:
        for r in conn.execute(select(ATTEMPT).order_by(ATTEMPT.c.id)):
            out.setdefault(r.delivery_id, []).append(r.outcome)
    return out


def test_smtp_down_for_the_first_attempts_loses_nothing_and_sends_each_once(
    engine: Engine, routing_file: Path
) -> None:
    n = many_warnings(engine, 12)
    port = free_port()  # nobody listens yet
    path = write_routing(routing_file, smtp_port=port, webhook=None, audiences=WHO)
    first = dispatcher(engine, path, backoff_seconds=60).run(T0)
    assert (first.sent, first.failed) == (0, n)
    assert "Connection refused" in (deliveries(engine)[0]["last_error"] or "")
    second = dispatcher(engine, path, backoff_seconds=60).run(T0 + timedelta(seconds=59))
    assert second.sent == second.failed == 0  # backing off: 60 s after the first failure
    third = dispatcher(engine, path, backoff_seconds=60).run(T0 + timedelta(seconds=60))
    assert (third.sent, third.failed) == (0, n)
    server = SmtpServer(port).start()
    try:
        early = dispatcher(engine, path, backoff_seconds=60).run(T0 + timedelta(seconds=179))
        assert early.sent == 0  # second wait: 120 s
        back = dispatcher(engine, path, backoff_seconds=60).run(T0 + timedelta(seconds=180))
        dispatcher(engine, path, backoff_seconds=60).run(T0 + timedelta(days=1))
    finally:
        server.stop()
    assert back.sent == n
    ids = Counter(m.message["Message-ID"] for m in server.mails)
    assert len(ids) == n and set(ids.values()) == {1}
    assert all(d["status"] == "sent" and d["attempts"] == 3 for d in deliveries(engine))
    assert set(map(tuple, outcomes(engine).values())) == {("failed", "failed", "sent")}
    assert {note["status"] for note in outbox(engine)} == {"sent"}


def test_a_receiver_answering_500_forever_ends_dead_with_every_attempt_recorded(
    engine: Engine, routing_file: Path
) -> None:
    receiver = Receiver(status=lambda n: 500).start()
    try:
        many_warnings(engine, 1)
        path = write_routing(routing_file, smtp_port=None, webhook=receiver.url(), audiences=WHO)
        policy = {"max_attempts": 3, "backoff_seconds": 60}
        for minutes in (0, 1, 3, 7, 60 * 24):
            dispatcher(engine, path, **policy).run(T0 + timedelta(minutes=minutes))
    finally:
        receiver.stop()
    assert len(receiver.posts) == 3 and len(set(receiver.keys())) == 1
    (row,) = list_notifications(engine, "dead")
    assert (row["channel"], row["attempts"]) == ("webhook", 3)
    assert "500" in row["last_error"]
    tries = attempts_of(engine, row["id"])
    assert [t["number"] for t in tries] == [1, 2, 3]
    assert all(t["outcome"] == "failed" and "500" in t["error"] for t in tries)
    assert outbox(engine)[0]["status"] == "dead" and outbox(engine)[0]["attempts"] == 3


def test_dispatcher_killed_mid_batch_delivers_everything_once_but_the_one_in_flight(
    db_url: str, engine: Engine, routing_file: Path
) -> None:
    n = many_warnings(engine, 30)
    receiver = Receiver(stall_at=5).start()
    try:
        path = write_routing(routing_file, smtp_port=None, webhook=receiver.url(), audiences=WHO)
        env = cli_env(db_url) | {
            "RECTIFLOW_NOTIFICATIONS_FILE": str(path),
            "RECTIFLOW_NOTIFY_LEASE_SECONDS": "1",
            "RECTIFLOW_NOTIFY_BATCH": "10",
        }
        log = routing_file.parent / "dispatch.log"
        with log.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "rectiflow", "notifications", "dispatch"],
                cwd=routing_file.parent,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        try:
            assert receiver.stalled.wait(120), log.read_text(encoding="utf-8", errors="replace")
            in_flight = receiver.keys()[4]
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
        receiver.release.set()
        time.sleep(1.2)  # the dead dispatcher's leases run out
        after = dispatcher(engine, path, lease_seconds=1, batch=10).run()
    finally:
        receiver.stop()
    assert after.sent == n - 4
    keys = Counter(receiver.keys())
    assert set(keys) == {d["idem_key"] for d in deliveries(engine)}
    assert {k for k, c in keys.items() if c > 1} == {in_flight} and keys[in_flight] == 2
    assert {d["status"] for d in deliveries(engine)} == {"sent"}
    first = next(d for d in deliveries(engine) if d["idem_key"] == in_flight)
    assert outcomes(engine)[int(str(first["id"]))] == ["interrupted", "sent"]


def test_dispatchers_side_by_side_share_the_work_and_send_each_once(
    db_url: str, engine: Engine, routing_file: Path
) -> None:
    """One dispatcher is held on its first request; the other three send everything else
    meanwhile, and none of them takes a delivery the held one has claimed."""
    n = many_warnings(engine, 60)
    receiver = Receiver(stall_at=1).start()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            dispatcher(engine, path, batch=5).run(T0)
        except BaseException as e:  # reported by the test, not lost in the thread
            errors.append(e)

    try:
        hook = receiver.url() + "?rto=60"  # the held request must not time out
        path = write_routing(routing_file, smtp_port=None, webhook=hook, audiences=WHO)
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        assert receiver.stalled.wait(60)
        deadline = time.monotonic() + 60
        while sum(t.is_alive() for t in threads) > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        others_done = sum(t.is_alive() for t in threads) == 1
        sent_while_held = len(receiver.posts)
        receiver.release.set()
        for t in threads:
            t.join(120)
    finally:
        receiver.stop()
    assert not errors
    assert others_done and n - 5 < sent_while_held < n  # the held batch waited for its sender
    keys = Counter(receiver.keys())
    assert len(keys) == n and set(keys.values()) == {1}
    assert {d["status"] for d in deliveries(engine)} == {"sent"}
    assert len({d["claimed_by"] for d in deliveries(engine)}) > 1  # the work was shared
