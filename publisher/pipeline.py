"""The steps every command shares: load the content, render it, check it, build the site."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from publisher.config import Settings
from publisher.content.loader import ArticleMemo, load_content
from publisher.content.model import Article, Problem
from publisher.content.parsed_yaml import ParsedYaml
from publisher.site.builder import NewSite, SitePages, page_path, template_environment, write_site
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
    on_body: Callable[[CompiledSite, Article], None] | None = None,
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
    site, render_problems = compile_site(content, cache=cache, workers=workers, on_body=on_body)
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
    """Build the static preview site; nothing is written when any file has an error.

    A new site (no output folder yet, or an empty one) is written into a folder of its own
    while the articles render, each article's page as soon as its body is there, and put in
    place only if nothing has an error (see NewSite)."""
    env = template_environment(settings.templates_dir)
    manifest = settings.cache_dir / "site-pages.json"
    new_site = NewSite(out_dir) if NewSite.takes(out_dir) else None
    early: list[SitePages] = []

    def write_page(site: CompiledSite, article: Article) -> None:
        assert new_site is not None
        if not early:
            early.append(SitePages(site, env, settings.site_name))
        new_site.write(early[0], page_path(article))

    try:
        compiled = compile_project(
            settings,
            use_cache=use_cache,
            workers=workers,
            on_body=write_page if new_site is not None else None,
        )
        result = BuildResult(compiled, out_dir)
        if compiled.errors:
            if new_site is not None:
                new_site.discard()
            return result
        # The pages made while the articles rendered, if any: the same site, now complete.
        pages = early[0] if early else SitePages(compiled.site, env, settings.site_name)
        if new_site is not None:
            result.files_written = new_site.finish(pages, manifest)
        else:
            result.files_written = write_site(pages, out_dir, manifest)
    except BaseException:
        if new_site is not None:
            new_site.discard()
        raise
    result.pages, result.images, result.written = len(pages.nodes), len(pages.copies), True
    return result
