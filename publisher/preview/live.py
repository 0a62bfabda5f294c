"""The previewed site, kept in memory and brought up to date after each batch of saves."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import TemplateError

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
        self._site: CompiledSite | None = None  # the site compiled by the rebuild under way
        self._templates_stale = False
        self.last = Update(0)

    def rebuild(
        self, changed_paths: Iterable[Path] = (), *, templates_changed: bool = False
    ) -> Update:
        started = time.perf_counter()
        changed_paths = [Path(p) for p in changed_paths]
        with self._lock:
            update = Update(self.generation + 1)
            self._site = None
            try:
                self._rebuild(update, changed_paths, templates_changed)
            except Exception as error:  # whatever fails, the preview keeps serving and watching
                update.problems.append(_rebuild_problem(error, self.settings))
                # Half-updated memos could hide the next save's effect: start them afresh.
                self._articles = ArticleMemo()
                self._pages_memo = PageMemo()
                self._templates_stale = True
            if update.errors:
                self.files = self._without_failed_images()
            self._site = None
            # Last: a page served before this point shows the older generation, and reloads
            # when it hears of this one.
            self.generation = update.generation
            update.seconds = time.perf_counter() - started
            self.last = update
            return update

    def _rebuild(self, update: Update, changed_paths: list[Path], templates_changed: bool) -> None:
        for path in changed_paths:
            self._articles.forget(path)
        if templates_changed or self._templates_stale:
            self._env = template_environment(self.settings.templates_dir)
            self._pages_memo = PageMemo()
            self._templates_stale = False
        compiled = compile_project(self.settings, workers=1, cache=self._cache, memo=self._articles)
        site = compiled.site
        update.problems = list(compiled.problems)
        self._site = site
        if update.errors:
            return
        try:
            files = render_site(site, self._env, self.settings.site_name, self._pages_memo)
        except Exception as error:  # a broken template must not stop the server
            update.problems.append(_template_problem(error, self.settings))
        else:
            update.changed = self._swap_in(files, site_images(site), changed_paths)

    def _without_failed_images(self) -> SiteFiles:
        """The last good pages stay served while there are errors, but not the images that
        failed their checks in this rebuild (gone, now a symlink out of the content, ...);
        every image still served is checked again at each request anyway."""
        site = self._site
        if site is None:  # the rebuild failed before the images were checked
            return self.files
        ok = set(site.content.images)
        failed = {
            f"assets/{ref.target}"
            for body in site.bodies.values()
            for ref in body.images
            if ref.target not in ok
        }
        copies = {rel: src for rel, src in self.files.copies.items() if rel not in failed}
        return SiteFiles(self.files.pages, copies)

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


def _rebuild_problem(error: Exception, settings: Settings) -> Problem:
    """An unexpected failure as an error for the overlay: at the file it names if it names
    one (an OSError's file, a template's), else at the content folder."""
    if isinstance(error, TemplateError):
        return _template_problem(error, settings)
    filename = getattr(error, "filename", None)
    if isinstance(error, OSError) and isinstance(filename, str | bytes):
        reason = error.strerror or type(error).__name__
        return Problem(
            Path(os.fsdecode(filename)),
            1,
            f"cannot read this file while rebuilding ({reason}): fix it or save it again",
        )
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return Problem(settings.content_dir, 1, f"internal error while rebuilding: {_short(detail)}")


def _short(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _template_problem(error: Exception, settings: Settings) -> Problem:
    filename = getattr(error, "filename", None) or str(settings.templates_dir or "templates")
    line = getattr(error, "lineno", None) or 1
    return Problem(Path(filename), int(line), f"template error: {error}")
