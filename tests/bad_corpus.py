"""Reads the cases of tests/corpus/bad/ and lays one out as a project to run on."""

from __future__ import annotations

import os
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

BAD_DIR = Path(__file__).parent / "corpus" / "bad"


@dataclass(frozen=True)
class ExpectedError:
    file: str  # relative to the content root
    line: int
    message: str  # a fragment of the message


@dataclass(frozen=True)
class Generated:
    file: str
    head: str
    repeat: str
    times: int
    tail: str = "\n"
    # How the path is spelled on disk: "latin-1" makes a name that is not UTF-8 (`café.md`
    # as b"caf\xe9.md"), which git checkouts on some systems cannot hold.
    path_encoding: str = "utf-8"

    def text(self) -> str:
        return self.head + self.repeat * self.times + self.tail


@dataclass(frozen=True)
class SafePage:
    page: str  # built page to inspect, relative to the output folder
    contains: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class BadCase:
    name: str
    folder: Path
    about: str
    errors: list[ExpectedError]
    safe: SafePage | None
    generate: list[Generated]
    symlinks: list[tuple[str, str]]
    fifos: list[str] = field(default_factory=list)  # named pipes, made like symlinks


def read_case(folder: Path) -> BadCase:
    spec = tomllib.loads((folder / "case.toml").read_text(encoding="utf-8"))
    errors = [ExpectedError(**item) for item in spec.get("error", [])]
    safe = SafePage(**spec["safe"]) if "safe" in spec else None
    if bool(errors) == (safe is not None):
        raise ValueError(f"{folder}/case.toml: give either [[error]] entries or [safe]")
    return BadCase(
        name=folder.name,
        folder=folder,
        about=spec["about"],
        errors=errors,
        safe=safe,
        generate=[Generated(**item) for item in spec.get("generate", [])],
        symlinks=[(item["path"], item["target"]) for item in spec.get("symlink", [])],
        fifos=[item["path"] for item in spec.get("fifo", [])],
    )


BAD_CASES = [read_case(folder) for folder in sorted(BAD_DIR.iterdir()) if folder.is_dir()]


def materialise(case: BadCase, project: Path) -> Path:
    """Copy the case to `project`, then write its generated files, symlinks and pipes."""
    shutil.copytree(case.folder, project, ignore=shutil.ignore_patterns("case.toml"))
    for item in case.generate:
        if item.path_encoding == "utf-8":
            path = project / "content" / item.file
            path.parent.mkdir(parents=True, exist_ok=True)  # deep folders are generated too
            path.write_text(item.text(), encoding="utf-8")
        else:
            raw = os.path.join(
                os.fsencode(project / "content"), item.file.encode(item.path_encoding)
            )
            os.makedirs(os.path.dirname(raw), exist_ok=True)
            with open(raw, "wb") as file:
                file.write(item.text().encode("utf-8"))
    for link, target in case.symlinks:
        os.symlink(target, project / link)
    for pipe in case.fifos:
        os.mkfifo(project / pipe)
    return project
