"""Real servers the notifications are delivered to: an SMTP server (aiosmtpd) and an
HTTP receiver, each recording exactly what arrived."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    """A TCP port nobody listens on (for now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Mail:
    """One message as the SMTP server received it."""

    rcpt: list[str]
    raw: bytes
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        content: str = part.get_content()
        return content


class _Box:
    def __init__(self) -> None:
        self.mails: list[Mail] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.mails.append(Mail(list(envelope.rcpt_tos), raw, msg))
        return "250 OK"


class SmtpServer:
    """aiosmtpd on 127.0.0.1:``port``; can be started late and stopped, to play an outage."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.box = _Box()
        self._controller: Controller | None = None

    @property
    def mails(self) -> list[Mail]:
        return self.box.mails

    def start(self) -> SmtpServer:
        self._controller = Controller(self.box, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@dataclass
class Post:
    """One request as the HTTP receiver got it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Receiver:
    """A local JSON webhook receiver; ``status`` decides the answer to the n-th request
    (1-based); ``stall_at`` holds that request without answering until ``release``."""

    status: Callable[[int], int] = lambda n: 200
    stall_at: int | None = None
    posts: list[Post] = field(default_factory=list)
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 — the name http.server calls
                length = int(self.headers.get("Content-Length", "0"))
                data = json.loads(self.rfile.read(length).decode("utf-8"))
                with receiver.lock:
                    receiver.posts.append(Post(self.path, dict(self.headers.items()), data))
                    n = len(receiver.posts)
                if n == receiver.stall_at:
                    receiver.stalled.set()
                    receiver.release.wait(60)
                try:
                    self.send_response(receiver.status(n))
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:  # the sender died while we held its request
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def keys(self) -> list[str]:
        return [p.headers.get("Idempotency-Key", "") for p in self.posts]
