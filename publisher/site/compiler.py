"""Renders every article of a loaded help center and checks what the articles refer to.

The result, a CompiledSite, is what both the preview and the publish step work from:
the same sanitised HTML, with article links spelled as help-center URLs and images
spelled however the caller needs (local files for preview, uploaded URLs for Plain).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import quote

from publisher.content.model import Article, HelpCenterContent, Problem
from publisher.render.images import image_problem
from publisher.render.markdown import (
    ImageRef,
    LinkRef,
    RenderedBody,
    render_body,
    resolve_references,
)
from publisher.site.cache import RenderCache, StoredBody, cache_key

IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}
#: Plain refuses workspace files over 50 MB (createWorkspaceFileUploadUrl); taken as 50 MB in
#: the smaller reading (10^6 bytes), so a file `check` passes is never refused for its size.
MAX_IMAGE_BYTES = 50_000_000
# Below this many uncached articles, starting worker processes costs more than it saves.
POOL_THRESHOLD = 24


def article_url(slug: str, anchor: str | None = None) -> str:
    """Where Plain serves an article, relative to the help center's domain."""
    return f"/article/{slug}" + (f"#{anchor}" if anchor else "")


@dataclass
class CompiledSite:
    content: HelpCenterContent
    bodies: dict[str, RenderedBody] = field(default_factory=dict)  # by article slug
    # Each body's render-cache key (by slug): it names the body across processes.
    keys: dict[str, str] = field(default_factory=dict)
    # What rendering and checking each article found (by slug), so that one article can be
    # checked again on its own (the preview's saves).
    problems: dict[str, list[Problem]] = field(default_factory=dict)

    def _link_url(self, link: LinkRef) -> str:
        target = self.content.by_path.get(link.target)
        return article_url(target.slug, link.anchor) if target else link.raw

    def link_urls(self, article: Article) -> tuple[str, ...]:
        """Where the article's links point: its HTML changes when these do."""
        return tuple(self._link_url(link) for link in self.bodies[article.slug].links)

    def article_html(self, article: Article, image_url: Callable[[ImageRef], str]) -> str:
        """The article's final HTML; `image_url` decides where its images point."""
        body = self.bodies[article.slug]
        return resolve_references(body, link_url=self._link_url, image_url=image_url)


# In a worker process: the cache it writes what it renders to (see `_start_worker`).
_WORKER_CACHE: RenderCache | None = None


def _start_worker(directory: Path | None, secret: bytes | None, signed: bool) -> None:
    global _WORKER_CACHE
    _WORKER_CACHE = RenderCache(directory, secret=secret, signed=signed)


def _render_job(job: tuple[str, str, int, str]) -> RenderedBody:
    """Render one body; in a worker, also write it to the cache, so that what comes back is
    only what checks need (the HTML stays in the entry) and this process is left free."""
    markdown, rel_path, first_line, key = job
    body = render_body(markdown, rel_path, first_line)
    return _WORKER_CACHE.put(key, body) if _WORKER_CACHE is not None else body


def render_bodies(
    articles: Iterable[Article],
    cache: RenderCache | None = None,
    workers: int | None = None,
    keys: dict[str, str] | None = None,
    *,
    forget_others: bool = True,
    into: dict[str, RenderedBody] | None = None,
    on_body: Callable[[Article], None] | None = None,
) -> dict[str, RenderedBody]:
    """Render article bodies by slug (into `into`, if given), from the cache where possible,
    in parallel otherwise; `keys` receives each body's cache key by slug, first. `on_body`
    hears of each article as soon as its body is there. The cache then forgets (in memory)
    the bodies of other articles, unless `forget_others` is false (a few articles of many)."""
    bodies: dict[str, RenderedBody] = into if into is not None else {}
    todo: list[tuple[Article, str]] = []

    def keep(article: Article, body: RenderedBody) -> None:
        if isinstance(body, StoredBody):  # should its entry change under it
            body.render_again = partial(
                render_body, article.body, article.rel_path, article.body_line
            )
        bodies[article.slug] = body
        if on_body is not None:
            on_body(article)

    articles_seen = list(articles)
    found: dict[str, str] = {}
    for article in articles_seen:  # every key first: `on_body` may use any
        found[article.slug] = (
            cache.key_for(article.body, article.rel_path, article.body_line)
            if cache
            else cache_key(article.body, article.rel_path, article.body_line)
        )
    if keys is not None:
        keys.update(found)
    for article in articles_seen:
        key = found[article.slug]
        cached = cache.get(key) if cache else None
        if cached is not None:
            keep(article, cached)
        else:
            todo.append((article, key))
    jobs = [(a.body, a.rel_path, a.body_line, key) for a, key in todo]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers > 1 and len(jobs) >= POOL_THRESHOLD:
        writer = cache.for_workers() if cache else (None, None, False)
        with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=writer) as pool:
            chunk = max(1, min(32, len(jobs) // (workers * 8)))
            results: Iterable[RenderedBody] = pool.map(_render_job, jobs, chunksize=chunk)
            for (article, key), body in zip(todo, results, strict=True):
                keep(article, cache.remember(key, body) if cache else body)
    else:
        for article, key in todo:
            body = render_body(article.body, article.rel_path, article.body_line)
            keep(article, cache.put(key, body) if cache else body)
    if cache and forget_others:
        cache.retain(set(found.values()))
    return bodies


def _image_problem(content: HelpCenterContent, image: ImageRef) -> str | None:
    """Why an image cannot be published, finishing "image 'x.png' …"; None if it can."""
    path = content.root / image.target
    if not path.is_file():
        return "not found"
    if path.suffix.lower() not in IMAGE_TYPES:
        return f"is not an image ({', '.join(sorted(IMAGE_TYPES))})"
    if not path.resolve().is_relative_to(content.root):
        return "points outside the content root"
    # The size first, from the file system: a huge file is refused before it is read.
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        return (
            f"is {size / 1_000_000:.1f} MB; Plain accepts files up to "
            f"{MAX_IMAGE_BYTES // 1_000_000} MB: make it smaller"
        )
    try:
        return image_problem(path)  # its type by magic bytes; an SVG parsed and checked
    except OSError as error:
        return f"cannot be read ({error.strerror or error})"


def _check_image(
    content: HelpCenterContent,
    article: Article,
    image: ImageRef,
    checked: dict[str, str | None] | None = None,
) -> Problem | None:
    """A problem with one image reference; `checked` remembers files already looked at."""
    if checked is not None and image.target in checked:
        problem = checked[image.target]
    else:
        problem = _image_problem(content, image)
        if checked is not None:
            checked[image.target] = problem
    if problem is not None:
        return Problem(article.path, image.line, f"image '{image.raw}' {problem}")
    content.images[image.target] = content.root / image.target
    return None


def _check_link(site: CompiledSite, article: Article, link: LinkRef) -> Problem | None:
    content = site.content
    target = content.by_path.get(link.target) if link.target else article
    if target is None:
        if (content.root / link.target).is_file():
            return None  # the target failed to load; its own problem says why
        return Problem(article.path, link.line, f"link to missing article '{link.raw}'")
    body = site.bodies.get(target.slug)
    if link.anchor and body is not None and link.anchor not in body.anchors:
        where = "this article" if target is article else f"'{target.rel_path}'"
        known = ", ".join(body.anchors[:8]) or "none"
        return Problem(
            article.path,
            link.line,
            f"link '{link.raw}': no heading '#{link.anchor}' in {where} (headings: {known})",
        )
    if target.status == "draft" and article.status == "published":
        return Problem(
            article.path,
            link.line,
            f"link '{link.raw}' goes to a draft article, which readers cannot open yet",
            severity="warning",
        )
    return None


def article_problems(
    site: CompiledSite, article: Article, checked: dict[str, str | None] | None = None
) -> list[Problem]:
    """What is wrong with one rendered article: its body's issues, its images, its links
    (against the other articles' headings and status). Marks its images as used."""
    body = site.bodies[article.slug]
    problems = [Problem(article.path, issue.line, issue.message) for issue in body.issues]
    for image in body.images:
        problem = _check_image(site.content, article, image, checked)
        if problem:
            problems.append(problem)
    for link in body.links:
        link_problem = _check_link(site, article, link)
        if link_problem:
            problems.append(link_problem)
    return problems


def compile_site(
    content: HelpCenterContent,
    *,
    cache: RenderCache | None = None,
    workers: int | None = None,
    on_body: Callable[[CompiledSite, Article], None] | None = None,
) -> tuple[CompiledSite, list[Problem]]:
    """Render everything, then check links and images across articles. `on_body` hears of
    each article as soon as its body is rendered (its page can be made then)."""
    articles = list(content.articles.values())
    site = CompiledSite(content)
    heard = partial(on_body, site) if on_body is not None else None
    render_bodies(articles, cache, workers, site.keys, into=site.bodies, on_body=heard)
    checked: dict[str, str | None] = {}
    for article in articles:
        site.problems[article.slug] = article_problems(site, article, checked)
    return site, sorted({problem for found in site.problems.values() for problem in found})


def local_image_url(image: ImageRef) -> str:
    """Preview image URL: the image copied beside the built site under /assets/."""
    return "/assets/" + quote(image.target)
