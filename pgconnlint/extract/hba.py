"""pg_hba.conf through pgtoolkit's record parser, one line at a time so that each rule keeps its line."""

from __future__ import annotations

from pgconnlint.model import HbaRule, Location, ParseProblem


def extract(path: str, text: str) -> tuple[list[HbaRule], list[ParseProblem]]:
    from pgtoolkit.hba import HBARecord

    rules, problems = [], []
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "include")):
            continue
        where = Location(path, number, len(line) - len(line.lstrip()) + 1)
        try:
            record = HBARecord.parse(stripped)
            rules.append(HbaRule(where, record.conntype, getattr(record, "address", None), record.method))
        except Exception:  # pgtoolkit raises ValueError or ParseError; an incomplete line has no `method`
            problems.append(ParseProblem(where, f"cannot parse pg_hba.conf line: {stripped[:60]!r}"))
    return rules, problems
