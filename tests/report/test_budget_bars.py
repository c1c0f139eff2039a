"""`pgconnlint budget` on a terminal: each server as a bar of its usable slots, the ceiling and the rollout marked;
piped output and JSON unchanged; no bar where the share is not a number."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from conftest import FIXTURES, TEST_CPUS

from pgconnlint.lint import LintOptions, lint
from pgconnlint.report import budget as view

BAR_GLYPHS = ("█", "░", "▓", "│", "◆", "▲")


def _terminal(width: int = 80):
    from rich.console import Console

    return Console(file=io.StringIO(), width=width, force_terminal=True, color_system="standard", record=True)


def _seen(console) -> list[str]:
    """What a user reads on the terminal: the text without its colours."""
    return console.export_text(styles=False).rstrip("\n").split("\n")


def _budget(fixture: str):
    [budget] = lint(FIXTURES / fixture, LintOptions(cpus=TEST_CPUS)).budgets
    return budget


def test_an_exceeded_budget_fills_past_the_usable_slots_in_red():
    console = _terminal()
    view.print_bar(console, _budget("nestjs-pm2-incident"))
    bar, legend = _seen(console)
    # 160 of 97 on a 60-cell scale of 160: 36 cells fit, the usable line, then the 63 that cannot connect
    assert bar == "  " + "█" * 36 + "│" + "▓" * 23
    assert legend == "  █ 160 at once (165% of the usable slots)  ▓ 63 over  │ 97 usable"
    assert "\x1b[31m▓" in console.file.getvalue()  # red on a colour terminal


def test_a_budget_that_fits_shows_its_free_slots_and_the_rollout_peak_beyond_them():
    console = _terminal()
    view.print_bar(console, _budget("k8s-rollout"))
    bar, legend = _seen(console)
    assert bar.index("│") < bar.index("▲") and bar.endswith("▲")  # 107 usable, then 120 during a rollout
    assert bar.lstrip().startswith("█" * 40 + "░")  # 80 of a scale of 120
    assert legend == "  █ 80 at once (75% of the usable slots)  │ 107 usable  ▲ 120 during a rollout"


def test_the_pools_ceiling_is_marked_where_it_exceeds_what_the_processes_hold_at_once():
    console = _terminal()
    view.print_bar(console, _budget("flask-gunicorn-sync"))
    bar, legend = _seen(console)
    assert bar.endswith("◆") and "│" in bar
    assert legend.endswith("│ 17 usable  ◆ pools' ceiling 270")


def test_a_narrow_terminal_gets_a_narrower_bar():
    console = _terminal(width=30)
    view.print_bar(console, _budget("nestjs-pm2-incident"))
    bar, *legend = _seen(console)  # the legend folds to the width
    assert len(bar) <= 30 and "│" in bar


def test_no_color_keeps_the_glyphs_and_drops_the_colours(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    console = _terminal()
    view.print_bar(console, _budget("nestjs-pm2-incident"))
    written = console.file.getvalue()
    assert "\x1b[3" not in written and "▓" in written and "163" not in written


def test_an_unbounded_pool_gets_no_bar_but_the_reason(lint_tree):
    result = lint_tree(
        {
            "Procfile": "web: uvicorn app.main:app --workers 2\n",
            "requirements.txt": "fastapi\n",
            "app/db.py": "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n"
            "engine = create_engine('postgresql://a@db/a?connect_timeout=5', poolclass=NullPool)\n",
        }
    )
    console = _terminal(width=120)
    view.print_bar(console, result.budgets[0])
    [line] = _seen(console)
    assert line == "  no bar: a pool has no limit, so the processes can hold an unbounded share of the 97 usable slots"


def test_a_pool_of_unknown_size_gets_no_bar_but_the_reason(lint_tree):
    result = lint_tree(
        {
            "package.json": '{"dependencies": {"pg": "8"}}\n',
            "src/db.js": "const { Pool } = require('pg');\nmodule.exports = new Pool({ max: limits.pool });\n",
            "db/postgresql.conf": "max_connections = 50\n",
        }
    )
    console = _terminal()
    view.print_bar(console, result.budgets[0])
    [line] = _seen(console)
    assert line.startswith("  no bar: at least 0 of 47 usable slots and 1 term of unknown size")
    assert not any(glyph in line for glyph in BAR_GLYPHS)


def _cli(*args: str) -> str:
    command = [sys.executable, "-m", "pgconnlint", "budget", str(FIXTURES / "nestjs-pm2-incident"), "--cpus", "8"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120, check=True).stdout


def test_piped_output_and_json_stay_as_they_were_and_bars_can_be_asked_for():
    piped = _cli()
    assert not any(glyph in piped for glyph in ("▓", "░", "◆", "▲"))
    forced = _cli("--bars")
    assert forced.startswith(piped.rstrip("\n")) and "▓ 63 over  │ 97 usable" in forced
    assert json.loads(_cli("--format", "json", "--bars")) == json.loads(_cli("--format", "json"))


def test_a_terminal_gets_the_bars_without_asking():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    result = lint(FIXTURES / "nestjs-pm2-incident", LintOptions(cpus=TEST_CPUS))
    view.render(result, out, suggest=False, headroom=0.8, server_memory=None, as_json=False)
    assert "│ 97 usable" in out.getvalue()
