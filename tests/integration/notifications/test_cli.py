"""``rectiflow notifications``: check, list, retry, preview and dispatch, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from tests.integration.cli import cli_env
from tests.integration.notifications.life import REF, live_every_notice, write_routing
from tests.integration.notifications.servers import Receiver

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "notifications.yaml"


def rectiflow(db_url: str, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rectiflow", "notifications", *args],
        cwd=cwd,
        env=cli_env(db_url) | env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def test_check_lists_who_receives_what_from_the_example(db_url: str, tmp_path: Path) -> None:
    secrets = {"SMTP_PASSWORD": "pw", "DINGTALK_TOKEN": "a" * 32, "WECOM_KEY": "b" * 20}
    secrets |= {"FEISHU_TOKEN": "c" * 24, "RECTIFLOW_NOTIFICATIONS_FILE": str(EXAMPLE)}
    done = rectiflow(db_url, tmp_path, "check", "--json", **secrets)
    assert done.returncode == 0, done.stderr
    assert '"uncovered": []' in done.stdout and "email:zeren@haicheng.example.cn" in done.stdout
    assert "市督改办工作群" in done.stdout and ":pw@" not in done.stdout


def test_check_refuses_a_bad_file_naming_line_and_problem(db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("defaults:\n  discipline: [json://h/x]\n  bosses: [json://h/y]\n", "utf-8")
    done = rectiflow(db_url, tmp_path, "check", RECTIFLOW_NOTIFICATIONS_FILE=str(bad))
    assert done.returncode == 2
    assert f"{bad}:3:" in done.stderr and "unknown audience 'bosses'" in done.stderr


def test_dispatch_list_retry_and_preview(db_url: str, engine: Engine, tmp_path: Path) -> None:
    live_every_notice(engine)
    receiver = Receiver(status=lambda n: 500).start()
    try:
        path = write_routing(tmp_path / "n.yaml", smtp_port=None, webhook=receiver.url())
        env = {"RECTIFLOW_NOTIFICATIONS_FILE": str(path), "RECTIFLOW_NOTIFY_MAX_ATTEMPTS": "1"}
        done = rectiflow(db_url, tmp_path, "dispatch", "--json", **env)
        assert done.returncode == 0, done.stderr
        listed = rectiflow(db_url, tmp_path, "list", "--status", "dead", "--json", **env)
        dead = json.loads(listed.stdout)
        assert dead and all(r["status"] == "dead" and r["attempts"] == 1 for r in dead)
        assert {"channel", "recipient", "template", "status", "attempts", "last_error"} <= set(
            dead[0]
        )
        receiver.status = lambda n: 200
        ids = sorted({str(r["id"]) for r in dead})
        again = rectiflow(db_url, tmp_path, "retry", *ids, **env)
        assert again.returncode == 0, again.stderr
        rectiflow(db_url, tmp_path, "dispatch", **env)
        assert (
            rectiflow(db_url, tmp_path, "list", "--status", "dead", "--json", **env).stdout.strip()
            == "[]"
        )
        wrong = rectiflow(db_url, tmp_path, "retry", ids[0], "99999", **env)
        assert wrong.returncode == 2 and "#99999" in wrong.stderr and "not dead" in wrong.stderr
        shown = rectiflow(db_url, tmp_path, "preview", "supervision_letter", REF, **env)
        assert shown.returncode == 0, shown.stderr
        assert "【督办函】" in shown.stdout and "张三" not in shown.stdout
        assert "To: lead_unit-hook" in shown.stdout  # the letter's first audience
    finally:
        receiver.stop()


def test_up_refuses_a_bad_routing_file_before_starting_anything(
    db_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("defaults:\n  bosses: [json://h/y]\n", "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "rectiflow", "up", "--port", "1", "--no-demo"],
        cwd=tmp_path,
        env=cli_env(db_url) | {"RECTIFLOW_NOTIFICATIONS_FILE": str(bad)},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert f"{bad}:2:" in done.stderr and "unknown audience 'bosses'" in done.stderr
    assert "Prefect" not in done.stdout  # nothing was started
