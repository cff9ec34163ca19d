"""Who receives what (接收人配置): the routing file named by ``RECTIFLOW_NOTIFICATIONS_FILE``.

The file maps a unit and an audience (the routing key an outbox row carries) to a list
of channels written as Apprise URLs. A unit without its own entry for an audience asks
its parent unit, then the ``defaults``::

    email: "mailtos://rectiflow:${SMTP_PASSWORD}@smtp.example.cn?from=rectiflow@example.cn"
    defaults:
      discipline: [jiwei@example.cn]
    units:
      海城市人民政府:
        person_in_charge:
          - zhangsan@haicheng.example.cn          # a mail address, sent through ``email``
          - json://hooks.example.cn/rectiflow      # a JSON webhook
          - {name: 海城市督改办群, url: "dingtalk://${DINGTALK_TOKEN}/"}

``${NAME}`` takes the value of an environment variable, so that passwords and tokens
stay out of the file. A file with any problem is refused as a whole, each problem named
with its line.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import apprise
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from states.errors import BadInput
from states.outbox import ESCALATION_AUDIENCES, EVENT_NOTICES

# Every routing key an outbox row may carry (states/outbox.py, states/revisits.py).
AUDIENCES: frozenset[str] = frozenset(
    {a for audiences in ESCALATION_AUDIENCES.values() for a in audiences}
    | {a for _, audiences in EVENT_NOTICES.values() for a in audiences}
    | {"lead_unit"}
)
AUDIENCE_ZH = {
    "person_in_charge": "责任人",
    "lead_unit": "牵头单位",
    "supervising_unit": "督导责任单位",
    "unit_head": "单位主要负责人",
    "discipline": "纪委监委",
    "acceptance_group": "验收组",
    "review_group": "复核组",
    "coordinator": "督改办",
}
# Apprise schemes we deliver through, by channel.
CHANNELS = {
    "mailto": "email",
    "mailtos": "email",
    "json": "webhook",
    "jsons": "webhook",
    "dingtalk": "dingtalk",
    "wecombot": "wecom",
    "feishu": "feishu",
}
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_EMAIL = re.compile(r"^[^@\s/:]+@[^@\s/:]+\.[^@\s/:]+$")
_TOP_KEYS = {"email", "defaults", "units"}


@dataclass(frozen=True)
class Recipient:
    """One recipient on one channel; ``label`` names it without its secrets."""

    label: str
    channel: str
    url: str
    line: int = 0
    address: str | None = None  # email: the one address of ``url`` this recipient is


@dataclass
class Routing:
    """The parsed routing file: unit name → audience → recipients, and the defaults."""

    units: dict[str, dict[str, list[Recipient]]] = field(default_factory=dict)
    defaults: dict[str, list[Recipient]] = field(default_factory=dict)
    source: str = "(none)"

    def recipients(self, units: Iterable[str], audience: str) -> list[Recipient]:
        """Recipients for ``audience``: the first unit of ``units`` (nearest first) that
        names any, else the defaults; an empty list means nobody is configured."""
        for name in units:
            found = self.units.get(name, {}).get(audience)
            if found:
                return found
        return list(self.defaults.get(audience, []))

    def find(self, units: Iterable[str], audience: str, label: str) -> Recipient | None:
        """The recipient called ``label`` among those ``audience`` resolves to now."""
        for r in self.recipients(units, audience):
            if r.label == label:
                return r
        return None


def load(path: Path | None, environ: Mapping[str, str] | None = None) -> Routing:
    """Read and check the routing file; BadInput listing every problem with its line."""
    if path is None:
        return Routing()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise BadInput(
            f"无法读取通知配置文件 {path}：{e.strerror}",
            f"cannot read notifications file {path}: {e.strerror}",
        ) from None
    except UnicodeDecodeError as e:
        raise BadInput(
            f"通知配置文件 {path} 不是 UTF-8 编码", f"{path} is not UTF-8 (byte {e.start})"
        ) from None
    return parse(text, str(path), os.environ if environ is None else environ)


def parse(text: str, name: str, environ: Mapping[str, str]) -> Routing:
    """Parse the text of a routing file; ``name`` is used in the messages."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = getattr(e, "problem", None) or str(e)
        raise _bad(name, [f"{where}: YAML 语法错误 / malformed YAML: {problem}"]) from None
    problems: list[str] = []
    routing = Routing(source=name)
    if root is None:
        return routing
    reader = _Reader(name, environ, problems)
    top = reader.mapping(root, "the file")
    email_base = None
    for key, value in top.items():
        if key not in _TOP_KEYS:
            reader.problem(value, f"未知的键 {key!r} / unknown key (email, defaults, units)")
    if "email" in top:
        email_base = reader.email_base(top["email"])
    reader.email = email_base
    if "defaults" in top:
        routing.defaults = reader.audiences(top["defaults"], "defaults")
    if "units" in top:
        for unit, node in reader.mapping(top["units"], "units").items():
            routing.units[unit] = reader.audiences(node, f"units.{unit}")
    if problems:
        raise _bad(name, problems)
    return routing


def _bad(name: str, problems: list[str]) -> BadInput:
    return BadInput(
        f"通知配置文件 {name} 有 {len(problems)} 处错误",
        f"notifications file {name} has {len(problems)} problem(s)",
        problems,
    )


class _Reader:
    """Walks the YAML nodes, so every problem can name its line."""

    def __init__(self, name: str, environ: Mapping[str, str], problems: list[str]) -> None:
        self.name = name
        self.environ = environ
        self.problems = problems
        self.email: str | None = None

    def problem(self, node: Node, text: str) -> None:
        self.problems.append(f"{self.name}:{node.start_mark.line + 1}: {text}")

    def mapping(self, node: Node, what: str) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            self.problem(node, f"{what} 应为映射 / {what} must be a mapping")
            return {}
        out: dict[str, Node] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode) or not str(key.value).strip():
                self.problem(key, f"{what} 的键应为非空文字 / keys of {what} must be text")
                continue
            if key.value in out:
                self.problem(key, f"重复的键 {key.value!r} / duplicate key {key.value!r}")
                continue
            out[str(key.value)] = value
        return out

    def scalar(self, node: Node, what: str) -> str | None:
        if not isinstance(node, ScalarNode) or not str(node.value).strip():
            self.problem(node, f"{what} 应为非空文字 / {what} must be non-empty text")
            return None
        return self.expand(node, str(node.value).strip())

    def expand(self, node: Node, text: str) -> str | None:
        missing = [m for m in _ENV.findall(text) if m not in self.environ]
        if missing:
            names = ", ".join(missing)
            self.problem(node, f"环境变量未设置：{names} / environment variable(s) unset: {names}")
            return None
        return _ENV.sub(lambda m: self.environ[m.group(1)], text)

    def email_base(self, node: Node) -> str | None:
        url = self.scalar(node, "email")
        if url is None:
            return None
        if url.split("://", 1)[0] not in {"mailto", "mailtos"} or plugin_for(url) is None:
            self.problem(
                node,
                "email 应为 mailto:// 或 mailtos:// 的 Apprise 地址 / email must be a "
                "mailto:// or mailtos:// Apprise URL with from=",
            )
            return None
        return url

    def audiences(self, node: Node, where: str) -> dict[str, list[Recipient]]:
        out: dict[str, list[Recipient]] = {}
        for audience, value in self.mapping(node, where).items():
            if audience not in AUDIENCES:
                known = ", ".join(sorted(AUDIENCES))
                self.problem(
                    value,
                    f"{where}: 未知的接收角色 {audience!r} / unknown audience {audience!r} "
                    f"(one of {known})",
                )
                continue
            out[audience] = self.recipients(value, f"{where}.{audience}")
        return out

    def recipients(self, node: Node, where: str) -> list[Recipient]:
        entries = node.value if isinstance(node, SequenceNode) else [node]
        if isinstance(node, SequenceNode) and not entries:
            self.problem(node, f"{where}: 接收人列表为空 / no recipients listed")
        out: list[Recipient] = []
        for entry in entries:
            out += self.entry(entry, where)
        seen: set[str] = set()
        for r in out:
            if r.label in seen:
                self.problems.append(
                    f"{self.name}:{r.line}: {where}: 重复的接收人 {r.label} / duplicate recipient"
                )
            seen.add(r.label)
        return out

    def entry(self, node: Node, where: str) -> list[Recipient]:
        name = None
        if isinstance(node, MappingNode):
            fields = self.mapping(node, where)
            extra = set(fields) - {"url", "name"}
            if extra or "url" not in fields:
                self.problem(node, f"{where}: 应为 {{url, name}} / expected {{url: …, name: …}}")
                return []
            name = self.scalar(fields["name"], "name") if "name" in fields else None
            node = fields["url"]
        text = self.scalar(node, where)
        if text is None:
            return []
        line = node.start_mark.line + 1
        if _EMAIL.match(text):
            if self.email is None:
                self.problem(
                    node, f"{where}: 邮件地址需要顶层 email 设置 / a mail address needs `email:`"
                )
                return []
            sep = "&" if "?" in self.email else "?"
            return self._email_recipients(node, f"{self.email}{sep}to={quote(text)}", name, line)
        scheme = text.split("://", 1)[0] if "://" in text else ""
        if scheme not in CHANNELS:
            self.problem(
                node,
                f"{where}: 不支持的通道 {scheme or text!r} / unsupported channel; use "
                "mailto(s)://, json(s)://, dingtalk://, wecombot:// or feishu://",
            )
            return []
        plugin = plugin_for(text)
        if plugin is None:
            self.problem(node, f"{where}: Apprise 无法解析该地址 / Apprise rejects this URL")
            return []
        if CHANNELS[scheme] == "email":
            return self._email_recipients(node, text, name, line)
        label = name or str(plugin.url(privacy=True)).split("?", 1)[0]
        return [Recipient(label, CHANNELS[scheme], text, line)]

    def _email_recipients(
        self, node: Node, url: str, name: str | None, line: int
    ) -> list[Recipient]:
        plugin = plugin_for(url)
        if plugin is None or not getattr(plugin, "targets", None):
            self.problem(node, "邮件地址无效 / invalid mail URL or address")
            return []
        # One recipient per address: each address receives each notification once.
        out = []
        for _, address in plugin.targets:
            label = f"email:{address}" if name is None else f"{name} <{address}>"
            out.append(Recipient(label, "email", url, line, address))
        return out


@cache
def _load_plugins() -> None:
    # Apprise imports all its plugins on first use; the email plugin's PGP support
    # imports the deprecated ``imghdr``. That warning is Apprise's, not ours to fix.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        apprise.Apprise.instantiate("json://localhost", suppress_exceptions=True)


def plugin_for(url: str) -> Any:
    """A fresh Apprise plugin for ``url``, or None if Apprise cannot parse it."""
    _load_plugins()
    return apprise.Apprise.instantiate(url, suppress_exceptions=True)
