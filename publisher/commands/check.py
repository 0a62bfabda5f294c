"""`publisher check`: validate everything; send nothing."""

from __future__ import annotations

from dataclasses import dataclass

from publisher.config import Settings
from publisher.pipeline import CompileResult, compile_project


@dataclass
class CheckResult:
    compiled: CompileResult

    @property
    def articles(self) -> int:
        return len(self.compiled.site.content.articles)

    @property
    def groups(self) -> int:
        return len(self.compiled.site.content.groups)


def check(settings: Settings, *, use_cache: bool = True) -> CheckResult:
    """Every problem of the content, errors and warnings; the caller decides how to end."""
    return CheckResult(compile_project(settings, use_cache=use_cache))
