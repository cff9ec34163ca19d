"""``python -m benchmarks.dispatch``: notifications delivered per second to a local webhook,
beside a raw loop of the same HTTP posts.

The product's figure is the whole dispatcher: routing each outbox row to its recipient,
claiming deliveries with a lease and an attempt row, rendering the zh-CN template, posting
through Apprise with the idempotency key, and committing each outcome before the next
send (SQLite, synchronous=FULL unless told otherwise). The raw loop posts the same JSON
bodies with the same header through ``requests`` (the library Apprise uses), one
connection each as Apprise opens them, with no database at all. Both go to the same
receiver, a ``ThreadingHTTPServer`` on 127.0.0.1 in a process of its own, answering 200.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from models.engine import make_engine, writing
from models.schema import upgrade
from notifications import Dispatcher, Policy, Templates, default_transports, load
from states.registry import parse_new, register
from states.service import DEFAULT_RULES
from states.sweep import sweep

AT = datetime(2024, 9, 2, 1, 0, tzinfo=UTC)
EVE = datetime(2024, 9, 30, 1, 0, tzinfo=UTC)  # the eve of the due day: every case is warned


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 — the name http.server calls
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(port: Any) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    port.value = server.server_address[1]
    server.serve_forever()


def _receiver() -> tuple[multiprocessing.Process, int]:
    """The receiver in a process of its own, so that it never waits for our GIL."""
    port = multiprocessing.Value("i", 0)
    proc = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    proc.start()
    deadline = time.monotonic() + 30
    while port.value == 0:
        if time.monotonic() > deadline or not proc.is_alive():
            raise RuntimeError("the webhook receiver did not start")
        time.sleep(0.01)
    return proc, int(port.value)


def _case(i: int) -> dict[str, Any]:
    return {
        "intake_no": f"B{i:07d}",
        "round": "第二轮中央生态环境保护督察",
        "assigned_at": "2024-09-02T09:00:00+08:00",
        "district": "海城市",
        "lead_unit": "海城市人民政府",
        "summary": "饭店油烟扰民",
        "content": "海城市某小区楼下饭店油烟直排。",
        "address": "海城市海州街道某小区",
        "pollution_types": ["大气"],
        "category": "身边问题",
        "rectification_due": "2024-09-30",
    }


def prepare(directory: Path, n: int, synchronous: str) -> tuple[Any, int]:
    """A database holding ``n`` pending warnings, one notification each."""
    engine = make_engine(f"sqlite:///{directory / 'dispatch-bench.db'}", synchronous=synchronous)
    upgrade(engine)
    items = [parse_new("case", _case(i)) for i in range(n)]
    for start in range(0, n, 2000):
        with writing(engine) as conn:
            register(
                conn,
                items[start : start + 2000],
                actor="督改办",
                role="coordinator",
                at=AT,
                rules=DEFAULT_RULES,
            )
    return engine, sweep(engine, EVE).notifications


def raw_loop(url: str, n: int) -> float:
    """Seconds to post ``n`` bodies like Apprise's, one request (and connection) each."""
    body = {"version": "1.0", "title": "【预警】", "message": "预警" * 300, "attachments": []}
    started = time.perf_counter()
    for i in range(n):
        body["title"] = f"【预警】B{i:07d} 整改时限将于 2024年9月30日24时 到期"
        r = requests.post(
            url,
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "Idempotency-Key": f"raw-{i}"},
            timeout=(4, 4),
        )
        r.raise_for_status()
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    """Run both loops and print the figures (JSON with ``--json``)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dispatch", description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="notifications to deliver")
    parser.add_argument("--synchronous", default="FULL", choices=["OFF", "NORMAL", "FULL"])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be positive")
    receiver, port = _receiver()
    url = f"http://127.0.0.1:{port}/hook"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            engine, queued = prepare(Path(tmp), args.n, args.synchronous)
            routing_file = Path(tmp) / "notifications.yaml"
            routing_file.write_text(
                f"defaults:\n  person_in_charge: ['json://127.0.0.1:{port}/hook']\n",
                encoding="utf-8",
            )
            dispatcher = Dispatcher(
                engine, load(routing_file), Templates(), default_transports(), Policy(batch=50)
            )
            started = time.perf_counter()
            result = dispatcher.run(EVE, limit=queued)
            product = time.perf_counter() - started
            engine.dispose()
        raw = raw_loop(url, queued)
    finally:
        receiver.terminate()
        receiver.join(10)
    figures = {
        "notifications": queued,
        "sent": result.sent,
        "failed": result.failed,
        "dispatch_per_s": round(result.sent / product, 1),
        "raw_posts_per_s": round(queued / raw, 1),
        "ratio": round((result.sent / product) / (queued / raw), 3),
        "synchronous": args.synchronous,
    }
    if args.json:
        sys.stdout.write(json.dumps(figures) + "\n")
    else:
        sys.stdout.write(
            f"dispatch (SQLite {args.synchronous}, Apprise json://): "
            f"{figures['dispatch_per_s']:,.1f} notifications/s ({result.sent} sent, "
            f"{result.failed} failed)\n"
            f"raw loop of the same posts (requests):       "
            f"{figures['raw_posts_per_s']:,.1f} posts/s\n"
            f"ratio dispatch / raw: {figures['ratio']:.3f}\n"
        )
    return 0 if result.sent == queued else 1


if __name__ == "__main__":
    raise SystemExit(main())
