"""The skeleton of a module (pgconnlint/pyskeleton.py) must give reach_python.py's walk exactly the imports the whole
module gives it, or be None (the module is then parsed whole)."""

from __future__ import annotations

import ast
import re
import sysconfig
import time
import warnings
from pathlib import Path

import pytest

from pgconnlint import reach_python
from pgconnlint.extract import python_scan
from pgconnlint.pyskeleton import skeleton

FIXTURES = Path(__file__).parent / "fixtures"


def imports(source: bytes):
    return reach_python._Reader("m.py").read(ast.parse(source))


def skeleton_imports(source: bytes):
    reduced = skeleton(source, reach_python._runs_at_start)
    return None if reduced is None else imports(reduced)


def same_as_whole(source: bytes) -> bool:
    """Whether the walk reads the imports the whole module gives (through the skeleton where reach_python.py uses
    one: not for a module that may import by call)."""
    return reach_python._parsed_imports(source, "m.py") == imports(source)


TRICKY = {
    "strings that look like code": 'X = """\nimport nothing\ndef f():\n"""\nimport real\n',
    "a comprehension's for and if": "x = [a\n    for a in b\n    if a]\nif x:\n    import inside_if\n",
    "a conditional expression's else": "y = (1 if z\n     else 2)\nimport after\n",
    "backslash continuation": "z = 1 + \\\n    2\nfrom a.b \\\n    import c\n",
    "a bracket in a string": 'w = "("\nimport after_bracket\n',
    "a bracket in a comment": "v = 1  # (\nimport after_comment\n",
    "a request handler's import": "def handler():\n    import lazy\nimport eager\n",
    "a start-up function's import": "def create_app():\n    from app import views\n    return 1\n",
    "a method and a class import": "class A:\n    import at_class\n    def m(self):\n        import lazy\n",
    "type checking only": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import typed\nelse:\n    import run\n",
    "a header with a quote in its comment": "if x:  # don't\n    y = 1\nimport after_header\n",
    "a header ending a string": "if x == 'a:':\n    import inside\n",
    "a try around an import": "try:\n    import ujson as json\nexcept ImportError:\n    import json\n",
    "an import in a one-line body": "try: import fast\nexcept ImportError: pass\n",
    "decorated functions": "@app.get('/')\ndef index():\n    import lazy\n@lifespan\nasync def lifespan(app):\n    import eager\n",
    "match and case": "match command:\n    case 'web':\n        import web\n    case _:\n        pass\nmatch = 3\n",
    "nested functions": "def main():\n    def helper():\n        import lazy\n    import eager\n",
    "a lambda and a dict": "f = lambda: {'a': (1,\n 2)}\nimport after\n",
    "an f-string with braces": "s = f'{x}{{'\nimport after_fstring\n",
    "an empty class after dropping": "class Empty:\n    def m(self):\n        pass\nimport after_class\n",
    "crlf": "import a\r\nif b:\r\n    import c\r\n",
    "a function named beyond ASCII": "class A:\n    def créer_app(self):\n        import kept\n",
    "a space before the parameters": "def handler (x):\n    import lazy\nimport after\n",
    "a byte order mark": "\ufeffimport bom\n",
    # a header's logical line runs to the end of a string spanning lines: cut there, the next kept header's string
    # would close it and swallow the imports between (skeleton review, issue 19)
    "headers with strings on many lines": 'if a == """\n""":\n    import y\nif b == """""" + """:\n""":\n    pass\n',
    "a header's one-quote string continued": 'if a == "x\\\n":\n    import y\n',
}


@pytest.mark.parametrize("source", TRICKY.values(), ids=TRICKY.keys())
def test_the_skeleton_reads_the_imports_the_whole_module_gives(source):
    data = source.encode()
    assert skeleton_imports(data) == imports(data)


ALWAYS_WHOLE = {
    "an import after a semicolon": "x = 1; import y\n",
    "a tab in indentation": "if x:\n\timport y\n",
    "a declared encoding": "# -*- coding: latin-1 -*-\nimport y\n",
    "a lone carriage return": "import a\rimport b\n",
    "a null byte": "import a\n\x00\n",
    "brackets that never close": "x = (\nimport y\n",
    "a quote nested in an f-string": 'x = f"{d["k"]}"\nimport y\n',
    "a quote nested in a raw f-string": "x = rf'{d['k']}'\nimport y\n",
}


@pytest.mark.parametrize("source", ALWAYS_WHOLE.values(), ids=ALWAYS_WHOLE.keys())
def test_text_the_skeleton_could_misread_is_parsed_whole(source):
    assert skeleton(source.encode(), reach_python._runs_at_start) is None


def test_text_that_is_not_utf8_is_parsed_whole():
    assert skeleton("import a\nx = 'é'\n".encode("latin-1"), reach_python._runs_at_start) is None


def test_the_skeleton_keeps_line_numbers_and_drops_function_bodies():
    data = b'"""Doc."""\nimport a\n\ndef handler():\n    import lazy\n    return 1\n\nclass A:\n    x = 1\n'
    reduced = skeleton(data, reach_python._runs_at_start)
    assert reduced is not None and b"lazy" not in reduced and b"Doc" not in reduced
    assert reduced.splitlines()[1] == b"import a" and reduced.splitlines()[7] == b"class A: pass"


def test_every_python_fixture_reads_the_same():
    files = sorted(FIXTURES.rglob("*.py"))
    assert len(files) > 50
    assert [path for path in files if not _same_or_unparseable(path.read_bytes())] == []


@pytest.mark.slow
def test_the_standard_library_reads_the_same():
    files = sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py"))[::4]
    assert len(files) > 200
    assert [path for path in files if not _same_or_unparseable(path.read_bytes())] == []


def _same_or_unparseable(data: bytes) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the standard library's own tests hold invalid escapes on purpose
        try:
            ast.parse(data)
        except (SyntaxError, ValueError):
            return True  # reach_python.py reads such a module with libcst, or not at all
        return same_as_whole(data)


HOSTILE = {
    "strings that never end, to the end of the text": b'"\\' * 1_000_000,
    "the same on one line": b'"\\' * 1_000_000 + b"\n",
    "a long string that never ends, then such quotes": b"'''" + b'"\\' * 1_000_000,
    "a line of imports in a function left out": b"def handler():\n    " + b"import a; " * 200_000 + b"\n",
    "the same behind a long indentation": b"def handler():\n" + b" " * 1_000_000 + b"import a; " * 90_000 + b"\n",
}


@pytest.mark.parametrize("data", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_2mb_file_takes_linear_time(data):
    started = time.process_time()
    skeleton(data, reach_python._runs_at_start)
    skeleton(data)
    assert time.process_time() - started < 2  # each was minutes (a rescan per quote or per word)


#: rewrites of a module that keep it Python but move what the skeleton reads: comments holding quotes, brackets and
#: `import`, docstrings holding import lines at the top of each block, imports wrapped in a block, statements
#: wrapped in brackets over lines, indentation halved (a variant that no longer parses is skipped)
MUTATIONS = {
    "comments": lambda text: re.sub(r"(?m)^(.*[\w)\]}'\"])$", r"\1  # it's ( [ { \"\"\" import x", text),
    "docstrings": lambda text: re.sub(
        r"(?m)^( *)(.*:)\n( +)(?=\S)", r'\1\2\n\3"""\n\3import fake\nfrom fake import y\n\3"""\n\3', text
    ),
    "imports in blocks": lambda text: re.sub(r"(?m)^( *)((?:import|from) [\w .,]+)$", r"\1if True:\n\1    \2", text),
    "brackets": lambda text: re.sub(r"(?m)^( *)(\w+) = ([\w.]+(?:\(\))?)$", r"\1\2 = (\n\3\n\1)", text),
    "indentation": lambda text: re.sub(r"(?m)^((?:    )+)", lambda m: " " * (len(m.group(1)) // 2), text),
}


@pytest.mark.parametrize("mutate", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_rewritten_fixtures_read_the_same(mutate):
    variants = [mutate(path.read_text()).encode() for path in sorted(FIXTURES.rglob("*.py"))]
    changed = [data for data in variants if _parses(data)]
    assert len(changed) > 30
    assert [data for data in changed if not (same_as_whole(data) and _decorated_same(data))] == []


def _parses(data: bytes) -> bool:
    try:
        ast.parse(data)
    except (SyntaxError, ValueError):
        return False
    return True


def _decorated_same(data: bytes) -> bool:
    """python_scan.py's use: the decorated skeleton gives the walk and the endpoints what the whole module gives."""
    reduced = None if reach_python.reads_calls(data) else skeleton(data)
    if reduced is None:
        return True
    text, whole, tree = data.decode(), ast.parse(data), ast.parse(reduced)
    same_routes = python_scan.routes("m.py", text, whole) == python_scan.routes("m.py", text, tree)
    return same_routes and reach_python._Reader("").read(whole) == reach_python._Reader("").read(tree)
