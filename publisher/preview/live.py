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
from publisher.content.model import Article, Problem
from publisher.pipeline import compile_project, parsed_yaml_memo, render_cache
from publisher.render.markdown import RenderedBody
from publisher.site.builder import (
    HOME_PAGE,
    SiteFiles,
    SitePages,
    page_path,
    template_environment,
)
from publisher.site.compiler import CompiledSite, article_problems, render_bodies
from publisher.site.navigation import NAV_PAGE, entry_for, node_key


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

    Pages are rendered when they are asked for, from the last good site; a rebuild only
    works out which pages now show something else (by their signatures). A save of one
    article that changes neither its slug, order, id, aliases nor images takes the short
    way (`_save_of_articles`): that article is read and rendered again, the articles that
    link to it are checked again, and only the pages whose sidebar or cards show it are
    compared; everything else takes the whole way (every file's modification time, every
    page's signature), which gives the same site.

    When the content has errors, the last good pages stay served and the errors are kept
    for the error overlay; the next good rebuild clears them.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._articles = ArticleMemo()
        self._cache = render_cache(settings)
        self._parsed_yaml = parsed_yaml_memo(settings)
        self._env = template_environment(settings.templates_dir)
        self.pages: SitePages | None = None  # the last good site
        self.copies: dict[str, Path] = {}  # images served under /assets/
        self.generation = 0
        self._site: CompiledSite | None = None  # the site compiled by the rebuild under way
        self._templates_stale = False
        # The signatures of the pages served; None until a rebuild needs them (the first
        # one serves every page as new and does not work them out: a faster start).
        self._signatures: dict[str, tuple[object, ...]] | None = None
        self._load_problems: list[Problem] = []
        self._by_file: dict[Path, Article] = {}
        self._links_to: dict[str, set[str]] = {}  # article rel_path -> slugs linking to it
        self.last = Update(0)

    def page(self, path: str) -> str | None:
        """The page at `path` (`article/x/index.html`) as served now, or None."""
        with self._lock:
            pages = self.pages
            if pages is None or path not in pages:
                return None
            return pages.render(path)

    def page_paths(self) -> list[str]:
        with self._lock:
            return self.pages.paths() if self.pages is not None else []

    def files(self) -> SiteFiles:
        """Every page as served now, rendered (tests compare it with a build)."""
        with self._lock:
            if self.pages is None:
                return SiteFiles({}, dict(self.copies))
            return SiteFiles(self.pages.files().pages, dict(self.copies))

    def rebuild(
        self, changed_paths: Iterable[Path] = (), *, templates_changed: bool = False
    ) -> Update:
        started = time.perf_counter()
        changed_paths = [Path(p) for p in changed_paths]
        with self._lock:
            update = Update(self.generation + 1)
            self._site = None
            try:
                if (
                    templates_changed
                    or self._templates_stale
                    or not self._save_of_articles(update, changed_paths)
                ):
                    self._rebuild(update, changed_paths, templates_changed)
            except Exception as error:  # whatever fails, the preview keeps serving and watching
                update.problems.append(_rebuild_problem(error, self.settings))
                # Half-updated memos could hide the next save's effect: start them afresh.
                self._articles = ArticleMemo()
                self._signatures = {}
                self._templates_stale = True
            if update.errors:
                self.copies = self._without_failed_images()
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
            self._signatures = {}
            self._templates_stale = False
        compiled = compile_project(
            self.settings,
            workers=1,
            cache=self._cache,
            memo=self._articles,
            parsed_yaml=self._parsed_yaml,
        )
        site = compiled.site
        update.problems = list(compiled.problems)
        self._site = site
        if update.errors:
            return
        pages = SitePages(site, self._env, self.settings.site_name)
        try:
            for sample in _samples(pages):  # a broken template must show now, not on a visit
                pages.render(sample)
        except Exception as error:  # a broken template must not stop the server
            update.problems.append(_template_problem(error, self.settings))
            return
        served = self._signatures
        if served is None and self.pages is not None:
            served = {path: self.pages.signature(path) for path in self.pages.paths()}
        if served is None:  # the first site: every page is new
            signatures = None
            changed = set(pages.paths())
        else:
            signatures = {path: pages.signature(path) for path in pages.paths()}
            changed = {path for path, seen in signatures.items() if served.get(path) != seen}
            changed |= set(served) - set(signatures)
        # An image saved in place keeps its URL: reload the pages that show it.
        saved = {p.resolve() for p in changed_paths}
        saved_images = {rel for rel, source in pages.copies.items() if source.resolve() in saved}
        for page, images in site_images(site).items():
            if any(f"assets/{rel}" in saved_images for rel in images):
                changed.add(page)
        self.pages, self.copies, self._signatures = pages, dict(pages.copies), signatures
        self._load_problems = list(compiled.load_problems)
        self._by_file = {article.path: article for article in site.content.articles.values()}
        self._links_to = _links_to(site)
        update.changed = sorted(page_url(page) for page in changed)

    def _save_of_articles(self, update: Update, changed_paths: list[Path]) -> bool:
        """The short way for saved articles (see the class). False, with the site as it
        was, when it does not apply; then the whole way runs."""
        pages = self.pages
        if pages is None or not changed_paths or self.last.errors:
            return False
        site, navigation = pages.site, pages.navigation
        saves: list[_Save] = []
        for path in changed_paths:
            save = self._read_save(path)
            if save is None:
                return False
            saves.append(save)
        keys: dict[str, str] = {}
        bodies = render_bodies(
            [save.new for save in saves], self._cache, 1, keys, forget_others=False
        )
        for save in saves:
            save.body, save.key = bodies[save.new.slug], keys[save.new.slug]
            save.old_body, save.old_key = site.bodies[save.old.slug], site.keys[save.old.slug]
            if _image_targets(save.body) != _image_targets(save.old_body):
                return False
        # The pages that may show something else, as they are served now.
        candidates = {page_path(save.new) for save in saves}
        for save in saves:
            key = node_key(save.new)
            if navigation.entries[key].face != entry_for(save.new).face:
                candidates |= pages.pages_showing(key) | {NAV_PAGE}
        served = {page: pages.signature(page) for page in candidates}
        # Swapped in, then checked; swapped back out when the check finds an error (or
        # fails: the last good site stays served).
        for save in saves:
            _swap_article(site, save.new, save.body, save.key)
        try:
            rechecked, load_problems, problems = self._check_saves(site, saves)
        except BaseException:
            _swap_back(site, saves)
            raise
        if any(problem.severity == "error" for problem in problems):
            _swap_back(site, saves)
            return False
        site.problems.update(rechecked)
        self._load_problems = load_problems
        for save in saves:
            self._by_file[save.new.path] = save.new
            self._relink(save.new, save.old_body, save.body)
            entry, fresh = navigation.entries[node_key(save.new)], entry_for(save.new)
            entry.title, entry.description, entry.draft = (
                fresh.title,
                fresh.description,
                fresh.draft,
            )
        if NAV_PAGE in served:
            pages.navigation_changed()
        changed = set()
        for page, before in served.items():
            signature = pages.signature(page)
            if before != signature:
                changed.add(page)
                if self._signatures is not None:
                    self._signatures[page] = signature
        update.problems = sorted(problems)
        update.changed = sorted(page_url(page) for page in changed)
        return True

    def _check_saves(
        self, site: CompiledSite, saves: list[_Save]
    ) -> tuple[dict[str, list[Problem]], list[Problem], set[Problem]]:
        """The saved articles checked again, with the articles linking to them when their
        headings or status changed: (render problems by slug, load problems, all)."""
        recheck = {save.new.slug for save in saves}
        for save in saves:
            if save.old_body.anchors != save.body.anchors or save.old.status != save.new.status:
                recheck |= self._links_to.get(save.new.rel_path, set())
        rechecked = {slug: article_problems(site, site.content.articles[slug]) for slug in recheck}
        load_problems = list(self._load_problems)
        for save in saves:
            for problem in save.problems_before:
                if problem in load_problems:
                    load_problems.remove(problem)
            load_problems += save.problems
        problems = set(load_problems)
        for slug, found in site.problems.items():
            problems.update(rechecked.get(slug, found))
        return rechecked, load_problems, problems

    def _read_save(self, path: Path) -> _Save | None:
        """The article saved at `path`, read again, if the short way can take it."""
        old = self._by_file.get(path)
        if old is None or not path.is_file():
            return None  # a new, removed or renamed file, a group or a heading file
        before = self._articles.problems_of(path)
        self._articles.forget(path)
        new, problems = self._articles.read(path, old.rel_path, self.settings.max_article_bytes)
        if (
            new is None
            or any(problem.severity == "error" for problem in problems)
            or (new.slug, new.order, new.id, new.aliases)
            != (old.slug, old.order, old.id, old.aliases)
            or (new.order is None and new.title != old.title)  # its place may change
        ):
            return None
        new.group = old.group
        return _Save(old, new, before, problems)

    def _relink(self, article: Article, old: RenderedBody, new: RenderedBody) -> None:
        for link in old.links:
            self._links_to.get(link.target, set()).discard(article.slug)
        for link in new.links:
            if link.target:
                self._links_to.setdefault(link.target, set()).add(article.slug)

    def _without_failed_images(self) -> dict[str, Path]:
        """The last good pages stay served while there are errors, but not the images that
        failed their checks in this rebuild (gone, now a symlink out of the content, ...);
        every image still served is checked again at each request anyway."""
        site = self._site
        if site is None:  # the rebuild failed before the images were checked
            return self.copies
        ok = set(site.content.images)
        failed = {
            f"assets/{ref.target}"
            for body in site.bodies.values()
            for ref in body.images
            if ref.target not in ok
        }
        return {rel: src for rel, src in self.copies.items() if rel not in failed}


@dataclass
class _Save:
    """One saved article on the short way: as it was and as it is now."""

    old: Article
    new: Article
    problems_before: list[Problem]  # what reading it found before
    problems: list[Problem]  # and now
    body: RenderedBody = field(init=False)
    key: str = field(init=False)
    old_body: RenderedBody = field(init=False)
    old_key: str = field(init=False)


def _image_targets(body: RenderedBody) -> set[str]:
    return {ref.target for ref in body.images}


def _swap_article(site: CompiledSite, article: Article, body: RenderedBody, key: str) -> None:
    """Put `article` (another version of one with the same slug, group and place) in place."""
    content = site.content
    old = content.articles[article.slug]
    content.articles[article.slug] = article
    content.by_path[article.rel_path] = article
    siblings = article.group.children if article.group is not None else content.top
    siblings[next(i for i, node in enumerate(siblings) if node is old)] = article
    site.bodies[article.slug] = body
    site.keys[article.slug] = key


def _swap_back(site: CompiledSite, saves: list[_Save]) -> None:
    for save in reversed(saves):
        _swap_article(site, save.old, save.old_body, save.old_key)


def _links_to(site: CompiledSite) -> dict[str, set[str]]:
    """For each article (by rel_path), the slugs of the articles that link to it."""
    found: dict[str, set[str]] = {}
    for slug, body in site.bodies.items():
        for link in body.links:
            if link.target:
                found.setdefault(link.target, set()).add(slug)
    return found


def _samples(pages: SitePages) -> list[str]:
    """One page of each kind: rendering them shows a broken template at once."""
    samples = [HOME_PAGE, NAV_PAGE]
    for kind in ("group/", "article/"):
        first = next((path for path in pages.nodes if path.startswith(kind)), None)
        if first is not None:
            samples.append(first)
    return samples


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
