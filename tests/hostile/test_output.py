"""No value from a repository steers the output: no control sequence, no workflow command, no markup, no emoji."""

from __future__ import annotations

import json
import re

import pytest
from conftest import write_tree
from hostile_support import cli

from pgconnlint import neutral

FORGED = "::error file=README.md,line=1::forged"
HOSTILE_NAME = f"{FORGED} \x1b[2J\x1b]52;c;aGk=\x07 x ##[stop-commands]tok :x: [bold]b[/bold]\nnext"
FORMATS = ("text", "json", "sarif", "github", "gitlab")


def _pm2_tree(tmp_path):
    pm2 = {"apps": [{"name": HOSTILE_NAME, "script": "a.js", "instances": 40}]}
    files = {"ecosystem.config.json": json.dumps(pm2), "ormconfig.json": '{"type": "postgres", "extra": {"max": 10}}'}
    return write_tree(tmp_path / "repo", files)


def _assert_inert(output: str) -> None:
    assert "\x1b" not in output and "\x07" not in output
    for line in output.splitlines():
        stripped = line.lstrip()
        assert not stripped.startswith("::") or stripped.startswith(
            ("::error ", "::warning ", "::notice ", "::group::", "::endgroup::")
        ), line
        assert "##[" not in line, line
        if stripped.startswith("::"):
            assert "forged" not in stripped.split("::")[1], line  # our command's properties, never the value's
    assert "❌" not in output


@pytest.mark.parametrize("form", FORMATS)
def test_a_hostile_app_name_is_inert_in_every_format(tmp_path, form):
    root = _pm2_tree(tmp_path)
    status, out, _ = cli("check", str(root), "--format", form, "--cpus", "4")
    assert status == 1 and out
    _assert_inert(out)


def test_a_hostile_folder_name_cannot_start_a_line_of_text(tmp_path):
    root = write_tree(tmp_path / "repo", {f"{FORGED}/postgresql.conf": "max_connections = 50\n"})
    status, out, _ = cli("check", str(root), "--cpus", "4", "--no-color", "--fail-on", "info")
    assert status == 1 and "PGC315" in out
    _assert_inert(out)


def test_budget_view_is_inert(tmp_path):
    status, out, _ = cli("budget", str(_pm2_tree(tmp_path)), "--cpus", "4")
    assert status == 0 and "\\x1b" in out
    _assert_inert(out)


def test_non_utf8_folder_names_in_every_format(tmp_path):
    root = write_tree(tmp_path / "repo", {"README.md": "x"})
    folder = bytes(root) + b"/caf\xe9"
    import os

    os.mkdir(folder)
    with open(folder + b"/postgresql.conf", "w") as file:
        file.write("max_connections = 50\n")
    for form in FORMATS:
        status, out, err = cli("check", str(root), "--format", form, "--cpus", "4", "--fail-on", "info")
        assert status == 1 and "caf" in out, (form, err)
    status, _, _ = cli("check", str(root), "--output-file", str(tmp_path / "out.txt"), "--fail-on", "info")
    assert status == 1 and "caf\\xe9" in (tmp_path / "out.txt").read_text()
    sarif = json.loads(cli("check", str(root), "--format", "sarif")[1])
    assert sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "caf%E9/postgresql.conf"
    )


def test_neutral_text_escapes_what_a_terminal_or_a_runner_would_act_on():
    assert neutral.text("a\x1b[31mb\nc\u202ed") == "a\\x1b[31mb\\nc\\u202ed"
    assert neutral.text("  ::error::x") == "  \\x3a:error::x"
    assert "##[" not in neutral.text("x ##[stop-commands]tok ##vso[task.setvariable]")
    assert neutral.text("plain text: 50% of 97") == "plain text: 50% of 97"
    assert re.fullmatch(r"x{200}… \(200000 characters\)", neutral.bound("x" * 200_000))
