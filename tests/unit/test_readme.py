"""The README says what the product does: its diagram is the machine's, and every
command it names exists."""

from __future__ import annotations

import re
from pathlib import Path

import typer.core
import typer.main

from rectiflow.cli import app
from states.lifecycle import mermaid

README = Path(__file__).resolve().parents[2] / "README.md"
DIAGRAM = re.compile(
    r"<!-- diagram:start -->\n```mermaid\n(?P<body>.*?)```\n<!-- diagram:end -->", re.DOTALL
)
# `rectiflow GROUP COMMAND` or `rectiflow COMMAND`; prose says "Rectiflow", paths "rectiflow/".
MENTION = re.compile(r"\brectiflow (?P<first>[a-z][a-z-]*)(?: (?P<second>[a-z][a-z_-]*))?")


def _text() -> str:
    return README.read_text(encoding="utf-8")


def _commands() -> dict[str, set[str] | None]:
    """Top-level command → None; group → the names of its commands."""
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    return {
        name: set(cmd.commands) if isinstance(cmd, typer.core.TyperGroup) else None
        for name, cmd in root.commands.items()
    }


def test_readme_diagram_is_the_lifecycle_machine() -> None:
    blocks = DIAGRAM.findall(_text())
    assert len(blocks) == 1, "README needs one ```mermaid block between the diagram markers"
    stale = "README diagram is stale: paste the output of `rectiflow diagram`"
    assert blocks[0] == mermaid(), stale


def test_every_command_the_readme_names_exists() -> None:
    commands = _commands()
    mentions = [(m["first"], m["second"]) for m in MENTION.finditer(_text())]
    assert mentions, "the README names no rectiflow command"
    unknown = []
    for first, second in mentions:
        if first not in commands:
            unknown.append(f"rectiflow {first}")
            continue
        group = commands[first]
        if group is not None and second is not None and second not in group:
            unknown.append(f"rectiflow {first} {second}")
    assert unknown == [], f"the README names commands the CLI does not have: {sorted(set(unknown))}"
