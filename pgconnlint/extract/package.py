"""package.json: where a Node package starts (the linker's unit) and which typeorm it depends on."""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from pgconnlint.model import Location, PackageManifest, ParseProblem


def extract(path: str, text: str) -> tuple[PackageManifest | None, list[ParseProblem]]:
    directory = str(PurePosixPath(path).parent).removeprefix(".")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return PackageManifest(path, directory, None, {}), [
            ParseProblem(Location(path, error.lineno, error.colno), f"invalid JSON: {error.msg}")
        ]
    if not isinstance(data, dict):
        return PackageManifest(path, directory, None, {}), []
    dependencies: dict[str, str] = {}
    for section in ("devDependencies", "dependencies"):
        block = data.get(section)
        if isinstance(block, dict):
            dependencies.update({k: v for k, v in block.items() if isinstance(v, str)})
    name = data.get("name") if isinstance(data.get("name"), str) else None
    return PackageManifest(path, directory, name, dependencies), []
