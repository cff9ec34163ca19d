"""Settings from ``RECTIFLOW_*`` environment variables (and a ``.env`` file if present)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine

from models.engine import DEFAULT_URL, make_engine
from states.calendar import OfficialCalendar
from states.lifecycle import Role
from states.rules import Rules, Rung


class Settings(BaseSettings):
    """Everything a deployment may set; each field is ``RECTIFLOW_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="RECTIFLOW_", env_file=".env", extra="ignore")

    database_url: str = Field(DEFAULT_URL, description="SQLAlchemy URL; SQLite file by default")
    sqlite_synchronous: Literal["NORMAL", "FULL", "EXTRA"] = "FULL"
    calendar_file: Path | None = Field(
        None, description="JSON holidays for years chinesecalendar does not know"
    )
    counting: Literal["calendar", "working"] = "calendar"
    acceptance_days: int = Field(7, ge=1)
    review_application_days: int = Field(3, ge=1)
    review_days: int = Field(5, ge=1)
    notice_days: int = Field(5, ge=1)
    warning_before_days: int = Field(1, ge=0)
    interview_after_days: int = Field(3, ge=1)
    referral_after_days: int = Field(7, ge=1)
    extra_roles: dict[str, list[Role]] = Field(
        default_factory=dict, description='widen who fires what, e.g. {"accept": ["coordinator"]}'
    )
    sweep_minutes: int = Field(10, ge=1, description="deadline-sweep interval; status alarms at 3x")

    def rules(self) -> Rules:
        """The rulebook's numbers as configured."""
        ladder = (
            Rung("warning", -self.warning_before_days, "预警"),
            Rung("supervision_letter", 0, "督办函"),
            Rung("interview", self.interview_after_days, "约谈"),
            Rung("referral", self.referral_after_days, "移送问题线索"),
        )
        return Rules(
            acceptance_days=self.acceptance_days,
            review_application_days=self.review_application_days,
            review_days=self.review_days,
            notice_days=self.notice_days,
            counting=self.counting,
            ladder=ladder,
            calendar=OfficialCalendar.from_file(self.calendar_file),
            extra_roles={k: frozenset(v) for k, v in self.extra_roles.items()},
        )

    def engine(self) -> Engine:
        """The engine for the configured database."""
        return make_engine(self.database_url, synchronous=self.sqlite_synchronous)


@cache
def settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
