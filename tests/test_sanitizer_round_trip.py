"""Whatever the renderer gives back is already sanitised: sanitising it again changes nothing.

Run on every Markdown file we have: the sample help center and the whole bad-input corpus
(generated cases included), with the URLs that publish and preview fill in.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bad_corpus import BAD_CASES, BadCase, materialise

from publisher.config import load_settings
from publisher.pipeline import compile_project
from publisher.render.markdown import ImageRef, LinkRef, render_body, resolve_references
from publisher.render.sanitize import sanitize
from publisher.site.compiler import local_image_url

SAMPLE = Path(__file__).resolve().parent.parent / "content"
# What must never survive, whatever the input (styles that would move text out of the
# article's box included: the corpus has each of them).
NEVER: tuple[str, ...] = (
    *("<script", "javascript:", "vbscript:", "onerror", "onclick", "<iframe", "data:text"),
    *("position:", "margin:-", "z-index", "calc(", "var(--", "<meta", "<base", "<link"),
)


def hostile_link(link: LinkRef) -> str:
    return f'/article/{link.target}?q="><script>x</script>'


def hostile_image(image: ImageRef) -> str:
    return f"https://files.example/{image.target}?a=1&b='\"<>"


def assert_round_trip(html: str, where: str) -> None:
    assert sanitize(html) == html, f"{where}: sanitising again changed the HTML"
    lowered = html.lower()
    for text in NEVER:
        assert text not in lowered, f"{where}: {text!r} survived"


def markdown_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.md") if p.is_file() and not p.is_symlink())


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda c: c.name)
def test_every_corpus_file_renders_to_html_that_sanitises_to_itself(
    case: BadCase, tmp_path: Path
) -> None:
    project = materialise(case, tmp_path / "project")
    rendered = 0
    for path in markdown_files(project / "content"):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # refused before rendering (test_bad_input_corpus checks the message)
        body = render_body(text, path.name)
        assert_round_trip(body.html, path.name)
        for link_url, image_url in (
            (hostile_link, hostile_image),
            (lambda link: link.target, local_image_url),
        ):
            final = resolve_references(body, link_url=link_url, image_url=image_url)
            assert_round_trip(final, f"{path.name} with URLs filled in")
        rendered += 1
    assert rendered > 0


def test_the_sample_help_center_publishes_html_that_sanitises_to_itself() -> None:
    compiled = compile_project(load_settings(SAMPLE.parent), use_cache=False, workers=1)
    assert compiled.errors == []
    site = compiled.site
    assert len(site.content.articles) >= 20
    for article in site.content.articles.values():
        for image_url in (hostile_image, local_image_url):
            assert_round_trip(site.article_html(article, image_url), article.rel_path)
