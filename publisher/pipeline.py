"""The steps every command shares: load the content, render it, check it, build the site."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from publisher.config import Settings
from publisher.content.loader import ArticleMemo, load_content
from publisher.content.model import Problem
from publisher.content.parsed_yaml import ParsedYaml
from publisher.site.builder import SitePages, template_environment, write_site
from publisher.site.cache import RenderCache
from publisher.site.compiler import CompiledSite, compile_site


@dataclass
class CompileResult:
    site: CompiledSite
    problems: list[Problem]
    cache: RenderCache | None = None
    seconds: float = 0.0
    # What loading found (the rest of `problems` came from rendering, in `site.problems`).
    load_problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def parsed_yaml_memo(settings: Settings) -> ParsedYaml:
    """What the project's YAML parsed to in earlier runs (see ParsedYaml)."""
    return ParsedYaml(settings.cache_dir / "parsed-yaml.json")


def render_cache(settings: Settings) -> RenderCache:
    """The on-disk cache of rendered articles for this project."""
    return RenderCache(settings.render_cache_dir)


def compile_project(
    settings: Settings,
    *,
    use_cache: bool = True,
    workers: int | None = None,
    cache: RenderCache | None = None,
    memo: ArticleMemo | None = None,
    parsed_yaml: ParsedYaml | None = None,
) -> CompileResult:
    """Load and render everything under the content folder, collecting every problem.

    The one path from files to a checked site: `check`, `build`, `plan`, `publish` and every
    rebuild of the preview (which passes its long-lived `cache` and `memo`) go through it.
    """
    started = time.perf_counter()
    if parsed_yaml is None and use_cache:
        parsed_yaml = parsed_yaml_memo(settings)
    content, problems = load_content(
        settings.content_dir,
        max_article_bytes=settings.max_article_bytes,
        memo=memo,
        parsed_yaml=parsed_yaml,
    )
    if parsed_yaml is not None:
        parsed_yaml.save()
    if cache is None and use_cache:
        cache = render_cache(settings)
    site, render_problems = compile_site(content, cache=cache, workers=workers)
    if not content.articles and not problems:
        problems.append(Problem(settings.content_dir, 1, "no articles found (no .md files)"))
    return CompileResult(
        site,
        sorted(set(problems + render_problems)),
        cache,
        time.perf_counter() - started,
        problems,
    )


@dataclass
class BuildResult:
    compiled: CompileResult
    out_dir: Path
    pages: int = 0
    images: int = 0
    files_written: int = 0
    written: bool = field(default=False)


def build_project(
    settings: Settings, out_dir: Path, *, use_cache: bool = True, workers: int | None = None
) -> BuildResult:
    """Build the static preview site; nothing is written when any file has an error."""
    compiled = compile_project(settings, use_cache=use_cache, workers=workers)
    result = BuildResult(compiled, out_dir)
    if compiled.errors:
        return result
    env = template_environment(settings.templates_dir)
    pages = SitePages(compiled.site, env, settings.site_name)
    result.files_written = write_site(pages, out_dir, settings.cache_dir / "site-pages.json")
    result.pages, result.images, result.written = len(pages.nodes), len(pages.copies), True
    return result
