"""Every notification reaches its recipients on a real SMTP server and a real webhook:
right subject, UTF-8 Chinese body, right recipient, a stable idempotency key, and never
the complainant's name or phone."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import Engine, select

from models.tables import NotificationDelivery, table
from notifications import list_notifications, message_id
from tests.integration.notifications.life import (
    COMPLAINANT,
    REF,
    SENDER,
    SUBJECTS,
    dispatcher,
    live_every_notice,
    mailbox,
    outbox,
    sh,
    write_routing,
)
from tests.integration.notifications.servers import Receiver, SmtpServer

DELIVERY = table(NotificationDelivery)


def test_every_template_is_written_by_its_cause(engine: Engine) -> None:
    live_every_notice(engine)
    written = {(n["template"], n["audience"]) for n in outbox(engine)}
    expected = {(t, a) for t, (_, audiences) in SUBJECTS.items() for a in audiences}
    assert written == expected


def test_each_template_reaches_mail_and_webhook_once_without_personal_data(
    engine: Engine, smtp: SmtpServer, receiver: Receiver, routing_file: Path
) -> None:
    live_every_notice(engine)
    path = write_routing(routing_file, smtp_port=smtp.port, webhook=receiver.url("to"))
    result = dispatcher(engine, path).run(sh(2024, 11, 1, 10))
    notes = outbox(engine)
    assert result.failed == 0 and result.sent == 2 * len(notes)
    with engine.connect() as conn:
        deliveries = {(r.notification_id, r.channel): r for r in conn.execute(select(DELIVERY))}
    mails = {m.message["Message-ID"]: m for m in smtp.mails}
    posts = {p.headers["Idempotency-Key"]: p for p in receiver.posts}
    assert len(mails) == len(smtp.mails) == len(notes)
    assert len(posts) == len(receiver.posts) == len(notes)
    for note in notes:
        marker, _ = SUBJECTS[note["template"]]
        mail_key = deliveries[(note["id"], "email")].idem_key
        hook_key = deliveries[(note["id"], "webhook")].idem_key
        mail = mails[message_id(mail_key, SENDER)]
        post = posts[hook_key]
        subject = str(mail.message["Subject"])
        assert subject.startswith(marker) and REF in subject, subject
        assert mail.rcpt == [mailbox(note["audience"])]
        assert mail.message["To"] == mailbox(note["audience"])
        assert mail.message.get_body(("plain",)).get_content_charset() == "utf-8"
        assert REF in mail.body and "海城市海州街道某小区" in mail.body
        assert "海城市人民政府" in mail.body and f"通知编号：{mail_key}" in mail.body
        assert post.path == f"/to/{note['audience']}"
        assert post.body["title"] == subject
        assert post.body["message"].strip() == mail.body.replace(mail_key, hook_key).strip()
        for secret in COMPLAINANT:
            assert secret not in mail.body and secret not in subject
            assert secret.encode() not in mail.raw
            assert secret not in str(post.body)


def test_escalation_notices_carry_clock_due_time_and_days_overdue(
    engine: Engine, smtp: SmtpServer, routing_file: Path
) -> None:
    live_every_notice(engine)
    path = write_routing(routing_file, smtp_port=smtp.port, webhook=None)
    dispatcher(engine, path).run(sh(2024, 11, 1, 10))
    by_subject = {str(m.message["Subject"]): m.body for m in smtp.mails}
    referral = next(b for s, b in by_subject.items() if s.startswith("【问题线索移送函】"))
    # Due 2024-09-10 (a Tuesday) 24:00 Shanghai; swept on 09-20 09:00: 9 whole days late.
    assert "整改时限" in referral and "2024年9月10日24时" in referral
    assert "已逾期 9 天" in referral and "纪委监委" in referral
    acceptance = next(b for s, b in by_subject.items() if s.startswith("【验收申请】"))
    # Requested 2024-09-21: day 7 is Saturday 09-28, a rest day; Sunday 09-29 is a 调休
    # working day, so the acceptance is due then (Civil Code art. 203).
    assert "验收时限" in acceptance and "2024年9月29日24时" in acceptance
    revisit = next(b for s, b in by_subject.items() if s.startswith("【复查回访】"))
    assert "列入2024年11月复查回访计划" in revisit


def test_sending_again_sends_nothing_twice(
    engine: Engine, smtp: SmtpServer, routing_file: Path
) -> None:
    live_every_notice(engine)
    path = write_routing(routing_file, smtp_port=smtp.port, webhook=None)
    first = dispatcher(engine, path).run(sh(2024, 11, 1, 10))
    again = dispatcher(engine, path).run(sh(2024, 11, 2, 10))
    assert first.sent == len(outbox(engine)) and again.sent == again.failed == 0
    assert max(Counter(m.message["Message-ID"] for m in smtp.mails).values()) == 1
    rows = list_notifications(engine, "sent")
    assert len(rows) == len(smtp.mails)
    assert all(r["channel"] == "email" and r["attempts"] == 1 for r in rows)


def test_an_audience_nobody_is_configured_for_ends_dead_naming_the_gap(
    engine: Engine, smtp: SmtpServer, routing_file: Path
) -> None:
    live_every_notice(engine)
    path = write_routing(
        routing_file, smtp_port=smtp.port, webhook=None, audiences={"person_in_charge"}
    )
    result = dispatcher(engine, path).run(sh(2024, 11, 1, 10))
    assert result.sent == 1 and result.unrouted == len(outbox(engine)) - 1
    dead = list_notifications(engine, "dead")
    assert {r["template"] for r in dead} == set(SUBJECTS) - {"warning"}
    assert all("no recipient configured" in r["last_error"] for r in dead)
    assert any("海城市人民政府 · unit_head" in r["last_error"] for r in dead)
