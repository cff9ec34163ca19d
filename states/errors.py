"""Errors raised by the rules, each naming what was wrong in Chinese and English.

    RectiflowError
    ├── BadInput        exit 2: a field, file, reference or value that cannot be used
    │   └── NotFound    the item, unit or record named does not exist
    ├── Refused         exit 3: the event is not allowed now (state, role, or unmet guards)
    └── Conflict        exit 3: someone else changed the item first

Nothing is written before every check has passed, so catching one of these means the
database is as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Unmet:
    """One unmet condition: a stable code and its Chinese and English text."""

    code: str
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} ({self.en})"


class RectiflowError(Exception):
    """Base of every error the rules raise on purpose."""

    exit_code = 1

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} — {en}")
        self.zh = zh
        self.en = en

    def to_dict(self) -> dict[str, object]:
        return {"error": type(self).__name__, "zh": self.zh, "en": self.en}


class BadInput(RectiflowError):
    """Input that cannot be used: names the field or value and why."""

    exit_code = 2

    def __init__(self, zh: str, en: str, problems: Sequence[str] = ()) -> None:
        super().__init__(zh, en)
        self.problems = list(problems)

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "problems": self.problems}


class NotFound(BadInput):
    """The item, unit or record named does not exist."""


class OutOfOrder(BadInput):
    """An event or edit dated before the item's newest history row."""


@dataclass
class _RefusalDetail:
    ref: str
    event: str
    state: str
    unmet: list[Unmet] = field(default_factory=list)


class Refused(RectiflowError):
    """The event may not be fired now; lists every unmet condition at once."""

    exit_code = 3

    def __init__(self, ref: str, event: str, state: str, unmet: Sequence[Unmet]) -> None:
        self.detail = _RefusalDetail(ref, event, state, list(unmet))
        reasons_zh = "；".join(u.zh for u in unmet)
        reasons_en = "; ".join(u.en for u in unmet)
        super().__init__(
            f"事项 {ref}（{state}）不能执行 {event}：{reasons_zh}",
            f"item {ref} ({state}) refuses {event}: {reasons_en}",
        )

    @property
    def unmet(self) -> list[Unmet]:
        return self.detail.unmet

    def to_dict(self) -> dict[str, object]:
        return {
            **super().to_dict(),
            "ref": self.detail.ref,
            "event": self.detail.event,
            "state": self.detail.state,
            "unmet": [{"code": u.code, "zh": u.zh, "en": u.en} for u in self.unmet],
        }


class Conflict(RectiflowError):
    """The item changed between reading and writing; nothing was written."""

    exit_code = 3

    def __init__(self, ref: str, event: str, expected_version: int) -> None:
        self.ref = ref
        self.event = event
        self.expected_version = expected_version
        super().__init__(
            f"事项 {ref} 已被他人修改（版本 {expected_version} 已过期），"
            f"{event} 未执行，请刷新后重试",
            f"conflict: item {ref} changed since version {expected_version}; "
            f"{event} was not applied, reload and retry",
        )
