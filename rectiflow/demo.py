"""The demo data set (filled in below)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from states.rules import Rules


def load(engine: Engine, at: datetime, rules: Rules) -> str:
    """Load the demo data; returns a one-line summary."""
    raise NotImplementedError
