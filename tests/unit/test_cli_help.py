"""`loanpilot --help` lists every command, each with help text."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from loanpilot.cli import app

runner = CliRunner()

COMMANDS = {
    (): ["db", "demo", "import", "serve"],
    ("db",): ["upgrade", "current"],
    ("demo",): ["build"],
    ("import",): ["customers", "loans", "repayments", "template"],
}


@pytest.mark.parametrize("group", list(COMMANDS), ids=lambda g: " ".join(g) or "top")
def test_every_command_is_listed_with_help(group: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*group, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    for command in COMMANDS[group]:
        line = next(
            (ln for ln in result.output.splitlines() if re.search(rf"│\s+{command}\s", ln)), None
        )
        assert line is not None, f"{command} missing from:\n{result.output}"
        assert len(line.split(command, 1)[1].strip(" │")) > 5, f"{command} has no help text"


@pytest.mark.parametrize(
    "argv",
    [
        ["db", "upgrade", "--help"],
        ["demo", "build", "--help"],
        ["import", "customers", "--help"],
        ["serve", "--help"],
    ],
)
def test_leaf_commands_explain_their_options(argv: list[str]) -> None:
    result = runner.invoke(app, argv, env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
