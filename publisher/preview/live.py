"""The previewed site, kept in memory and brought up to date after each batch of saves."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from publisher.config import Settings
from publisher.content.loader import ArticleMemo
from publisher.content.model import Problem
from publisher.pipeline import compile_project, render_cache
from publisher.site.builder import (
    PageMemo,
    SiteFiles,
    page_path,
    render_site,
    template_environment,
)
from publisher.site.compiler import CompiledSite


def page_url(page: str) -> str:
    """`article/x/index.html` -> `/article/x/`, the URL a browser shows for that page."""
    return "/" + page.removesuffix("index.html")


@dataclass
class Update:
    """What one rebuild changed, as sent to the open pages."""

    generation: int
    changed: list[str] = field(default_factory=list)  # page URLs whose content changed
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


class LiveSite:
    """Loads, renders and lays out the site like `build`, reusing everything unchanged.

    When the content has errors, the last good pages stay served and the errors are kept
    for the error overlay; the next good rebuild clears them.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._articles = ArticleMemo()
        self._cache = render_cache(settings)
        self._pages_memo = PageMemo()
        self._env = template_environment(settings.templates_dir)
        self.files = SiteFiles({}, {})
        self.generation = 0
        self.last = Update(0)

    def rebuild(
        self, changed_paths: Iterable[Path] = (), *, templates_changed: bool = False
    ) -> Update:
        started = time.perf_counter()
        changed_paths = [Path(p) for p in changed_paths]
        with self._lock:
            for path in changed_paths:
                self._articles.forget(path)
            if templates_changed:
                self._env = template_environment(self.settings.templates_dir)
                self._pages_memo = PageMemo()
            compiled = compile_project(
                self.settings, workers=1, cache=self._cache, memo=self._articles
            )
            site, problems = compiled.site, compiled.problems
            self.generation += 1
            update = Update(self.generation, problems=problems)
            if not update.errors:
                try:
                    files = render_site(site, self._env, self.settings.site_name, self._pages_memo)
                except Exception as error:  # a broken template must not stop the server
                    update.problems.append(_template_problem(error, self.settings))
                else:
                    update.changed = self._swap_in(files, site_images(site), changed_paths)
            update.seconds = time.perf_counter() - started
            self.last = update
            return update

    def _swap_in(
        self, files: SiteFiles, images_by_page: dict[str, set[str]], changed_paths: list[Path]
    ) -> list[str]:
        old = self.files.pages
        changed = {page for page, html in files.pages.items() if old.get(page) != html}
        changed |= set(old) - set(files.pages)
        # An image saved in place keeps its URL: reload the pages that show it.
        saved = {p.resolve() for p in changed_paths}
        saved_images = {rel for rel, source in files.copies.items() if source.resolve() in saved}
        for page, images in images_by_page.items():
            if any(f"assets/{rel}" in saved_images for rel in images):
                changed.add(page)
        self.files = files
        return sorted(page_url(page) for page in changed)


def site_images(site: CompiledSite) -> dict[str, set[str]]:
    """The images each article page shows, by page."""
    return {
        page_path(article): {ref.target for ref in site.bodies[article.slug].images}
        for article in site.content.articles.values()
        if site.bodies[article.slug].images
    }


def _template_problem(error: Exception, settings: Settings) -> Problem:
    filename = getattr(error, "filename", None) or str(settings.templates_dir or "templates")
    line = getattr(error, "lineno", None) or 1
    return Problem(Path(filename), int(line), f"template error: {error}")
