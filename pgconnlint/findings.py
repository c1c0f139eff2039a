"""What the linter reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pgconnlint.model import Location, Severity


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem reported to the user, where it is and the numbers behind it."""

    code: str  #: "PGC101"
    message: str  #: the problem, naming every number and where it came from; no trailing period
    location: Location
    help: str | None = None  #: one imperative line
    related: tuple[Location, ...] = ()  #: where each other number came from (SARIF relatedLocations)
    notes: tuple[str, ...] = ()  #: a breakdown shown under the message (the budget's terms)
    data: dict[str, Any] = field(default_factory=dict)  #: machine-readable numbers for JSON output
    severity: Severity = Severity.WARNING  #: set from the catalogue by the pipeline
    name: str = ""  #: set from the catalogue by the pipeline

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.code, self.location.path, self.location.line)

    @property
    def sort_key(self) -> tuple:
        return (self.location.path, self.location.line, self.location.column, self.code)


def finding(code: str, at: Location, message: str, **extra: Any) -> Finding:
    return Finding(code=code, location=at, message=message, **extra)
