from __future__ import annotations

import os
from pathlib import Path

import pytest

from pgconnlint.extract.pgconf import MAX_DEPTH, extract

SAMPLE = Path("/usr/share/postgresql/15/postgresql.conf.sample")


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def run(root: Path, files: dict[str, str | bytes], main: str = "postgresql.conf"):
    write(root, files)
    return extract(root, main)


def value(config, name):
    return config.settings[name].value.value


@pytest.mark.skipif(not SAMPLE.exists(), reason="Debian's postgresql-15 sample is not installed")
def test_debian_sample_with_max_connections_uncommented(tmp_path):
    text = SAMPLE.read_text()
    commented = "#max_connections = 100"
    assert commented in text
    line = text[: text.index(commented)].count("\n") + 1
    config, problems = run(tmp_path, {"postgresql.conf": text.replace(commented, "max_connections = 100", 1)})
    assert problems == []
    assert list(config.settings) == ["max_connections"]  # every other default is commented out
    setting = config.settings["max_connections"]
    assert setting.value.value == 100
    assert (setting.value.location.line, setting.value.location.column) == (line, 1)
    assert setting.value.via == f"postgresql.conf:{line}"
    assert (config.name, config.location.line) == ("postgresql.conf", 1)


@pytest.mark.skipif(not SAMPLE.exists(), reason="Debian's postgresql-15 sample is not installed")
def test_every_sample_parameter_uncommented_parses(tmp_path):
    # The sample's own values, tabs and trailing comments included, are what real files hold.
    lines = [line[1:] if line.startswith("#") and " = " in line else line for line in SAMPLE.read_text().split("\n")]
    lines = [line for line in lines if not line.startswith(("include", "#"))]
    config, problems = run(tmp_path, {"postgresql.conf": "\n".join(lines)})
    assert problems == []
    assert len(config.settings) > 300
    assert value(config, "shared_buffers") == 128 * 1024 * 1024
    assert value(config, "checkpoint_timeout") == 5 * 60 * 1000
    assert value(config, "ssl") is False
    assert value(config, "unix_socket_permissions") == 0o777
    assert value(config, "search_path") == '"$user", public'


def test_commented_defaults_are_ignored(tmp_path):
    config, problems = run(tmp_path, {"postgresql.conf": "#max_connections = 100\n  # port = 5432\n# a sentence\n"})
    assert (config.settings, problems) == ({}, [])


def test_last_occurrence_wins_and_keeps_the_overridden(tmp_path):
    conf = "max_connections = 100\nport = 5432\nmax_connections 200\nmax_connections=300 # final\n"
    config, problems = run(tmp_path, {"postgresql.conf": conf})
    assert problems == []
    setting = config.settings["max_connections"]
    assert (setting.value.value, setting.value.location.line) == (300, 4)
    assert [(k.value, k.location.line) for k in setting.overridden] == [(100, 1), (200, 3)]
    assert config.settings["port"].overridden == ()


def test_includes_are_read_in_place(tmp_path):
    files = {
        "db/postgresql.conf": (
            "max_connections = 10\n"
            "include 'extra.conf'\n"
            "include_if_exists 'missing.conf'\n"
            "include_dir 'conf.d'\n"
            "work_mem = 1MB\n"
        ),
        "db/extra.conf": "max_connections = 20\nwork_mem = 2MB\n",
        "db/conf.d/b.conf": "max_connections = 40\n",
        "db/conf.d/a.conf": "max_connections = 30\n",
        "db/conf.d/B.conf": "max_connections = 25\n",  # upper case sorts first in byte order
        "db/conf.d/.hidden.conf": "max_connections = 99\n",
        "db/conf.d/notes.txt": "max_connections = 98\n",
    }
    config, problems = run(tmp_path, files, "db/postgresql.conf")
    assert problems == []
    setting = config.settings["max_connections"]
    assert setting.value.value == 40
    assert setting.value.via == "db/conf.d/b.conf:1"
    assert [k.value for k in setting.overridden] == [10, 20, 25, 30]
    assert [k.location.path for k in setting.overridden] == [
        "db/postgresql.conf",
        "db/extra.conf",
        "db/conf.d/B.conf",
        "db/conf.d/a.conf",
    ]
    work_mem = config.settings["work_mem"]
    assert (work_mem.value.value, work_mem.value.via) == (1024 * 1024, "db/postgresql.conf:5")


def test_missing_include_is_reported_and_reading_continues(tmp_path):
    config, problems = run(tmp_path, {"postgresql.conf": "port = 1\ninclude 'gone.conf'\nport = 2\n"})
    assert value(config, "port") == 2
    [problem] = problems
    assert problem.location.line == 2
    assert problem.message == "included file gone.conf not found"


def test_included_commented_entry_does_not_erase_a_real_value(tmp_path):
    # pgtoolkit 0.33.0 bug 1: its own include merge lets `#max_connections = 100` replace 200.
    files = {
        "postgresql.conf": "max_connections = 200\ninclude 'defaults.conf'\n",
        "defaults.conf": "#max_connections = 100\n",
    }
    config, problems = run(tmp_path, files)
    assert problems == []
    assert value(config, "max_connections") == 200
    assert config.settings["max_connections"].overridden == ()


def test_quoted_hash_is_part_of_the_value(tmp_path):
    # pgtoolkit 0.33.0 bug 2: ValueError on `'a#b'`.
    conf = "search_path = 'a#b'  # schemas\napplication_name = 'it''s #1'\nlog_line_prefix = 'x\\'#y'\n"
    config, problems = run(tmp_path, {"postgresql.conf": conf})
    assert problems == []
    assert value(config, "search_path") == "a#b"
    assert value(config, "application_name") == "it's #1"
    assert value(config, "log_line_prefix") == "x'#y"


def test_upper_case_name_and_tabs(tmp_path):
    config, problems = run(tmp_path, {"postgresql.conf": "  MAX_CONNECTIONS = 50\nWork_Mem\t=\t4MB\n"})
    assert problems == []
    setting = config.settings["max_connections"]
    assert (setting.name, setting.value.value, setting.value.location.column) == ("max_connections", 50, 3)
    assert value(config, "work_mem") == 4 * 1024 * 1024


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("shared_buffers = 128MB", 134217728),
        ("shared_buffers = '1GB'", 1024**3),
        ("shared_buffers = 8192B", 8192),
        ("shared_buffers = 64kB", 65536),
        ("shared_buffers = 16384", 16384),
        ("statement_timeout = '30s'", 30000),
        ("statement_timeout = 250ms", 250),
        ("statement_timeout = '1.5s'", 1500),
        ("statement_timeout = 500us", 0.5),
        ("idle_in_transaction_session_timeout = 1min", 60000),
        ("idle_in_transaction_session_timeout = 2h", 7_200_000),
        ("idle_in_transaction_session_timeout = 1d", 86_400_000),
        ("max_connections = '300'", 300),
        ("statement_timeout = -1", -1),
        ("random_page_cost = 1.1", 1.1),
        ("ssl = on", True),
        ("ssl = 'OFF'", False),
        ("fsync = yes", True),
        ("unix_socket_permissions = 0770", 0o770),
        ("listen_addresses = '*'", "*"),
        ("shared_buffers = 128mb", "128mb"),  # units are case-sensitive: PostgreSQL rejects it, no guess
    ],
)
def test_values_are_normalised(tmp_path, written, expected):
    config, problems = run(tmp_path, {"postgresql.conf": written + "\n"})
    assert problems == []
    [setting] = config.settings.values()
    assert setting.value.value == expected
    assert type(setting.value.value) is type(expected)


def test_auto_conf_beside_the_main_file_wins(tmp_path):
    files = {
        "pg/postgresql.conf": "max_connections = 100\nport = 5432\n",
        "pg/postgresql.auto.conf": "# Do not edit this file manually!\nmax_connections = '500'\n",
    }
    config, problems = run(tmp_path, files, "pg/postgresql.conf")
    assert problems == []
    setting = config.settings["max_connections"]
    assert (setting.value.value, setting.value.via) == (500, "pg/postgresql.auto.conf:2")
    assert [k.value for k in setting.overridden] == [100]
    assert value(config, "port") == 5432


def test_bad_line_is_reported_and_the_next_line_still_parsed(tmp_path):
    config, problems = run(tmp_path, {"postgresql.conf": "port = 1\nmax_connections\nwork_mem = 'x\nport = 2\n"})
    assert [(p.location.line, p.location.column) for p in problems] == [(2, 1), (3, 1)]
    assert problems[0].message == "cannot parse line: 'max_connections'"
    assert value(config, "port") == 2
    assert "work_mem" not in config.settings


def test_include_of_a_non_string_is_a_bad_line(tmp_path):
    config, problems = run(tmp_path, {"postgresql.conf": "include 1\nport = 2\n"})
    assert [p.message for p in problems] == ["cannot parse line: 'include 1'"]
    assert value(config, "port") == 2


@pytest.mark.parametrize("target", ["../outside.conf", "/etc/postgresql/15/main/postgresql.conf", "sub/../../x.conf"])
def test_include_outside_the_repository_is_refused(tmp_path, target):
    root = tmp_path / "repo"
    write(tmp_path, {"outside.conf": "max_connections = 1\n", "x.conf": "max_connections = 1\n"})
    config, problems = run(root, {"postgresql.conf": f"max_connections = 5\ninclude '{target}'\n"})
    assert value(config, "max_connections") == 5
    [problem] = problems
    assert problem.location.line == 2
    assert problem.message == f"include outside the repository not followed: {target}"


def test_include_through_a_linked_folder_out_of_the_tree_is_refused(tmp_path):
    root = tmp_path / "repo"
    write(tmp_path, {"elsewhere/a.conf": "max_connections = 1\n"})
    write(root, {"postgresql.conf": "include_dir 'linked'\ninclude 'linked/a.conf'\n"})
    os.symlink(tmp_path / "elsewhere", root / "linked")
    config, problems = extract(root, "postgresql.conf")
    assert config.settings == {}
    assert [p.message.split(":")[0] for p in problems] == ["include outside the repository not followed"] * 2


def test_include_loop_is_reported(tmp_path):
    files = {
        "postgresql.conf": "port = 1\ninclude 'a.conf'\nport = 3\n",
        "a.conf": "include 'postgresql.conf'\nport = 2\n",
    }
    config, problems = run(tmp_path, files)
    [problem] = problems
    assert (problem.location.path, problem.location.line) == ("a.conf", 1)
    assert problem.message.startswith("include loop:")
    assert [k.value for k in config.settings["port"].overridden] == [1, 2]
    assert value(config, "port") == 3


def test_a_file_may_be_included_twice_without_a_loop(tmp_path):
    files = {"postgresql.conf": "include 'a.conf'\nport = 2\ninclude 'a.conf'\n", "a.conf": "port = 1\n"}
    config, problems = run(tmp_path, files)
    assert problems == []
    assert [k.value for k in config.settings["port"].overridden] == [1, 2]


def test_include_depth_is_bounded(tmp_path):
    depth = MAX_DEPTH + 2
    files = {f"f{i}.conf": f"port = {i}\ninclude 'f{i + 1}.conf'\n" for i in range(depth)}
    config, problems = run(tmp_path, files, "f0.conf")
    [problem] = problems
    assert problem.message.startswith(f"includes nested deeper than {MAX_DEPTH}")
    assert value(config, "port") == MAX_DEPTH


def test_number_of_files_is_bounded(tmp_path):
    files: dict[str, str | bytes] = {f"conf.d/{i:03}.conf": f"port = {i}\n" for i in range(150)}
    files["postgresql.conf"] = "include_dir 'conf.d'\n"
    config, problems = run(tmp_path, files)
    assert len(problems) == 51
    assert value(config, "port") == 98  # the main file is the first of the 100


def test_binary_file_gives_an_empty_config(tmp_path):
    config, problems = run(tmp_path, {"postgresql.conf": b"max_connections = 5\n\0\xff\xfe"})
    assert config.settings == {}
    [problem] = problems
    assert problem.skipped and "binary" in problem.message


def test_binary_included_file_is_reported_and_the_rest_kept(tmp_path):
    files = {"postgresql.conf": "port = 1\ninclude 'bin.conf'\n", "bin.conf": b"\0\0"}
    config, problems = run(tmp_path, files)
    assert value(config, "port") == 1
    assert [p.location.path for p in problems] == ["bin.conf"]


def test_symlink_loop_and_missing_main_file_do_not_raise(tmp_path):
    os.symlink(tmp_path / "postgresql.conf", tmp_path / "postgresql.conf")
    config, problems = extract(tmp_path, "postgresql.conf")
    assert config.settings == {} and len(problems) == 1
    config, problems = extract(tmp_path, "absent/postgresql.conf")
    assert config.settings == {} and len(problems) == 1


def test_windows_line_endings(tmp_path):
    config, problems = run(tmp_path, {"postgresql.conf": "port = 1\r\nsearch_path = 'a'\r\n"})
    assert problems == []
    assert (value(config, "port"), value(config, "search_path")) == (1, "a")
