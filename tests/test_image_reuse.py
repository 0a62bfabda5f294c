"""Recognising images already uploaded, whatever shape of URL Plain hands out, and trusting
only what the content's own articles show."""

from __future__ import annotations

from pathlib import Path

import pytest
from content_factory import PNG, article
from test_headings_and_unknown_entries import remote_article, remote_of, site_of

from publisher.plain import IndexEntry
from publisher.sync.images import digest_of_url, image_src, local_image, uploaded_in
from publisher.sync.permissions import EDIT, READ, UPLOAD, required_permissions
from publisher.sync.plan import PENDING_IMAGE, make_plan

DIGEST = "0123456789abcdef"


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.plain.test/f/6c1e0a7b",
        "https://cdn.plain.test/f/6c1e0a7b?X-Amz-Signature=abc&X-Amz-Expires=0",
        "https://files.example/wf_01/screen.png",
        "https://files.example/abc#old-fragment",
        "http://127.0.0.1:8765/cdn/tok",
    ],
)
def test_an_opaque_url_carries_the_digest_in_its_fragment(url: str) -> None:
    src = image_src(url, DIGEST)
    assert src.startswith(url.split("#")[0])
    assert digest_of_url(src) == DIGEST
    assert uploaded_in([f'<p><img src="{src.replace("&", "&amp;")}" alt="x"></p>']) == {
        DIGEST: url.split("#")[0]
    }


def test_a_url_that_shows_the_content_name_is_left_as_it_is() -> None:
    url = f"https://files.example/wf_01/screen-{DIGEST}.png"
    assert image_src(url, DIGEST) == url
    assert digest_of_url(url) == DIGEST


@pytest.mark.parametrize(
    "src",
    [
        f"/assets/x.png#publisher-image={DIGEST}",  # relative: nothing Plain serves
        f"data:image/png;base64,AAAA#publisher-image={DIGEST}",
        f"javascript:alert(1)#publisher-image={DIGEST}",
        "https://cdn.example/x#publisher-image=XYZ",  # not a digest
        f"https://cdn.example/x#publisher-image={DIGEST}0",  # too long
        "https://cdn.example/x.png",
    ],
)
def test_other_sources_are_not_taken_for_uploads(src: str) -> None:
    assert uploaded_in([f'<img src="{src}">']) == {}


def test_only_articles_the_content_manages_vouch_for_an_upload(tmp_path: Path) -> None:
    site = site_of(tmp_path, {"a.md": article("A", body="![x](shot.png)"), "shot.png": PNG})
    digest = local_image("shot.png", tmp_path / "content/shot.png").digest
    marked = f'<img src="https://evil.example/x#publisher-image={digest}">'
    # A draft made by hand in Plain shows the image's digest: it must not be trusted.
    foreign = remote_of([], [remote_article("hand-made", marked, status="DRAFT")])
    plan = make_plan(site, foreign, {})
    assert [i.url for i in plan.images] == [None]
    assert PENDING_IMAGE in plan.articles[0].html
    # The content's own article showing it is what a fresh machine relies on.
    own = remote_of(
        [IndexEntry("ARTICLE", "id_a")],
        [
            remote_article(
                "a", f'<p><img src="https://cdn.plain.test/t#publisher-image={digest}"></p>'
            )
        ],
    )
    plan = make_plan(site, own, {})
    assert [i.url for i in plan.images] == ["https://cdn.plain.test/t"]
    assert plan.uploads == []


def test_permissions_follow_what_the_plan_does(tmp_path: Path) -> None:
    site = site_of(tmp_path, {"a.md": article("A", body="![x](shot.png)"), "shot.png": PNG})
    nothing = make_plan(site, remote_of([], []), {})
    assert required_permissions(nothing, prune=False) == {
        READ: "reading the help center",
        EDIT: "writing articles, groups and the navigation",
        UPLOAD: "uploading 1 image",
    }
    site_no_image = site_of(tmp_path / "p2", {"a.md": article("A")})
    html = site_no_image.article_html(site_no_image.content.articles["a"], lambda _: "")
    same = make_plan(
        site_no_image, remote_of([IndexEntry("ARTICLE", "id_a")], [remote_article("a", html)]), {}
    )
    assert not same.has_changes
    assert required_permissions(same, prune=False) == {READ: "reading the help center"}
