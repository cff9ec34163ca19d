"""The routing file: who receives what, and a bad file refused whole, each problem with
its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from notifications.routing import load, parse
from states.errors import BadInput

ENV = {"SMTP_PASSWORD": "s3cret", "DINGTALK_TOKEN": "abcdef0123456789abcdef"}
GOOD = """\
email: "mailtos://rectiflow:${SMTP_PASSWORD}@smtp.example.cn?from=rectiflow@example.cn"
defaults:
  discipline: [jiwei@example.cn]
  coordinator:
    - dugaiban@example.cn
    - json://hooks.example.cn/rectiflow
units:
  海城市:
    acceptance_group: [yanshou@haicheng.example.cn]
  海城市人民政府:
    person_in_charge:
      - zhangsan@haicheng.example.cn
      - {name: 海城市督改办群, url: "dingtalk://${DINGTALK_TOKEN}/"}
      - wecombot://abcdefghijk1234/
      - feishu://abcdefabcdef1234567890/
"""


def problems(text: str, env: dict[str, str] = ENV) -> list[str]:
    with pytest.raises(BadInput) as caught:
        parse(text, "n.yaml", env)
    return caught.value.problems


def test_each_audience_resolves_to_its_channels_nearest_unit_first() -> None:
    routing = parse(GOOD, "n.yaml", ENV)
    found = routing.recipients(["海城市人民政府", "海城市"], "person_in_charge")
    assert [r.channel for r in found] == ["email", "dingtalk", "wecom", "feishu"]
    assert found[0].label == "email:zhangsan@haicheng.example.cn"
    assert found[0].address == "zhangsan@haicheng.example.cn" and found[0].line == 12
    assert found[1].label == "海城市督改办群" and ENV["DINGTALK_TOKEN"] in found[1].url
    # A unit without its own entry asks its parent, then the defaults.
    assert [
        r.label for r in routing.recipients(["海城市人民政府", "海城市"], "acceptance_group")
    ] == ["email:yanshou@haicheng.example.cn"]
    assert [r.channel for r in routing.recipients(["海城市人民政府"], "coordinator")] == [
        "email",
        "webhook",
    ]
    assert routing.recipients(["海城市人民政府"], "unit_head") == []


def test_labels_never_carry_secrets() -> None:
    routing = parse(GOOD, "n.yaml", ENV)
    every = [r for a in routing.units.values() for rs in a.values() for r in rs]
    every += [r for rs in routing.defaults.values() for r in rs]
    assert every and all(
        "s3cret" not in r.label and ENV["DINGTALK_TOKEN"] not in r.label for r in every
    )


def test_a_url_of_several_addresses_is_one_recipient_per_address() -> None:
    text = 'defaults:\n  discipline: ["mailto://127.0.0.1:25?from=a@example.cn&to=b@example.cn,c@example.cn"]\n'
    found = parse(text, "n.yaml", {}).recipients([], "discipline")
    assert [r.address for r in found] == ["b@example.cn", "c@example.cn"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("units: [a, b", 1, "YAML"),
        ("defaults:\n  discipline: [a@example.cn]\n", 2, "needs `email:`"),
        ("defaults:\n  bosses: [json://h/x]\n", 2, "unknown audience 'bosses'"),
        ("defaults:\n  discipline: [sms://123]\n", 2, "unsupported channel"),
        ("defaults:\n  discipline: []\n", 2, "no recipients"),
        ("defaults:\n  discipline: ['dingtalk://${NOPE}/']\n", 2, "NOPE"),
        ("units:\n  a: {}\n  a: {}\n", 3, "duplicate key 'a'"),
        ("recipients: {}\n", 1, "unknown key"),
        (
            "defaults:\n  discipline:\n    - json://h/a\n    - json://h/a\n",
            4,
            "duplicate recipient",
        ),
        ("defaults:\n  discipline:\n    - {link: json://h/a}\n", 3, "expected {url"),
        ("email: json://h/x\n", 1, "mailto"),
    ],
    ids=[
        "malformed_yaml",
        "address_without_email_server",
        "unknown_audience",
        "unsupported_channel",
        "empty_list",
        "unset_environment_variable",
        "duplicate_unit",
        "unknown_top_key",
        "duplicate_recipient",
        "entry_without_url",
        "email_server_not_mailto",
    ],
)
def test_a_bad_file_is_refused_naming_the_line_and_the_problem(
    text: str, line: int, words: str
) -> None:
    found = problems(text)
    assert any(p.startswith(f"n.yaml:{line}: ") and words in p for p in found), found


def test_every_problem_is_named_at_once() -> None:
    text = "defaults:\n  bosses: [json://h/x]\n  discipline: [sms://1]\n"
    assert len(problems(text)) == 2


def test_a_missing_file_is_bad_input_naming_it(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="notifications file"):
        load(tmp_path / "nope.yaml")


def test_no_file_means_nobody_is_configured() -> None:
    assert load(None).recipients(["x"], "discipline") == []
