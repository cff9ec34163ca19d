"""Channels (通道) behind one small interface: ``send(message)`` delivers or raises.

Email goes out through ``smtplib`` here rather than through Apprise, because Apprise
always makes up its own ``Message-ID`` and the idempotency key must be that header; the
SMTP server, port, security mode, login and sender are still read from the Apprise
``mailto://`` URL, so configuration is the same for every channel. JSON webhooks,
DingTalk, WeCom and Feishu go through Apprise; a webhook gets the key as the
``Idempotency-Key`` header, and every body ends with it, so that a duplicate can be
recognised on any channel. ``MemoryTransport`` records what it was given, for tests.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any, Protocol

from notifications.routing import Recipient, plugin_for

IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Message:
    """One rendered notification for one recipient."""

    recipient: Recipient
    subject: str
    body: str
    idem_key: str


class DeliveryFailed(Exception):
    """The channel did not take the message; ``reason`` says why (no secrets in it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Transport(Protocol):
    """A channel: deliver ``message`` or raise DeliveryFailed."""

    def send(self, message: Message) -> None: ...


def message_id(idem_key: str, sender: str) -> str:
    """The SMTP Message-ID for an idempotency key: the same key, the same header."""
    domain = sender.rpartition("@")[2] or "rectiflow.local"
    return f"<{idem_key}@{domain}>"


class SmtpTransport:
    """Mail over SMTP with the idempotency key as Message-ID (timeout: the URL's ``cto``)."""

    def send(self, message: Message) -> None:
        plugin: Any = plugin_for(message.recipient.url)
        if plugin is None or message.recipient.address is None:
            raise DeliveryFailed("邮件地址无效 / invalid mail URL")
        sender = plugin.from_addr[1]
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = formataddr((plugin.from_addr[0] or "Rectiflow", sender))
        mail["To"] = message.recipient.address
        mail["Message-ID"] = message_id(message.idem_key, sender)
        mail["Date"] = format_datetime(datetime.now(UTC))
        mail[IDEMPOTENCY_HEADER] = message.idem_key
        mail.set_content(message.body, charset="utf-8")
        try:
            with self._connect(plugin) as smtp:
                smtp.send_message(mail, from_addr=sender, to_addrs=[message.recipient.address])
        except (OSError, smtplib.SMTPException) as e:
            raise DeliveryFailed(f"SMTP {plugin.smtp_host}:{plugin.port}: {_describe(e)}") from e

    @contextmanager
    def _connect(self, plugin: Any) -> Iterator[smtplib.SMTP]:
        context = ssl.create_default_context()
        if not plugin.verify_certificate:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        timeout = float(plugin.socket_connect_timeout)
        smtp: smtplib.SMTP
        if plugin.secure_mode == "ssl":
            smtp = smtplib.SMTP_SSL(plugin.smtp_host, plugin.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(plugin.smtp_host, plugin.port, timeout=timeout)
        try:
            if plugin.secure_mode == "starttls":
                smtp.starttls(context=context)
            if plugin.user and plugin.password:
                smtp.login(plugin.user, plugin.password)
            yield smtp
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def _describe(e: BaseException) -> str:
    if isinstance(e, smtplib.SMTPResponseException):
        text = e.smtp_error
        return f"{e.smtp_code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
    return f"{type(e).__name__}: {e}"


class AppriseTransport:
    """Webhook, DingTalk, WeCom and Feishu through Apprise (timeouts: ``cto``/``rto``)."""

    def send(self, message: Message) -> None:
        plugin: Any = plugin_for(message.recipient.url)
        if plugin is None:
            raise DeliveryFailed("Apprise 无法解析该地址 / Apprise rejects this URL")
        if hasattr(plugin, "headers") and isinstance(plugin.headers, dict):
            plugin.headers[IDEMPOTENCY_HEADER] = message.idem_key
        with _apprise_errors() as errors:
            ok = plugin.notify(body=message.body, title=message.subject)
        if not ok:
            where = plugin.url(privacy=True).split("?", 1)[0]
            raise DeliveryFailed(f"{where}: {'; '.join(errors) or 'Apprise reported a failure'}")


class _ThreadRecords(logging.Handler):
    """Apprise's warnings from this thread only: dispatchers may run side by side."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextmanager
def _apprise_errors() -> Iterator[list[str]]:
    handler = _ThreadRecords()
    logger = logging.getLogger("apprise")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


@dataclass
class MemoryTransport:
    """Records every message; fails the first ``fail_first`` sends, for tests."""

    sent: list[Message] = field(default_factory=list)
    fail_first: int = 0
    calls: int = 0

    def send(self, message: Message) -> None:
        self.calls += 1
        if self.calls <= self.fail_first:
            raise DeliveryFailed(f"simulated failure {self.calls}")
        self.sent.append(message)


def default_transports() -> Mapping[str, Transport]:
    """The real channels: SMTP for email, Apprise for the rest."""
    smtp, other = SmtpTransport(), AppriseTransport()
    return {
        "email": smtp,
        "webhook": other,
        "dingtalk": other,
        "wecom": other,
        "feishu": other,
    }
