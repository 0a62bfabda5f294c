"""Recognising images already uploaded, whatever shape of URL Plain hands out, and trusting
only what the content's own articles show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from content_factory import PNG, article
from test_headings_and_unknown_entries import remote_article, remote_of, site_of

from publisher.plain import IndexEntry
from publisher.sync.images import (
    UploadCache,
    digest_of_url,
    image_src,
    local_image,
    trusted_image_url,
    uploaded_in,
)
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


# Which hosts an image may be trusted at: the host of a download URL this machine got from
# Plain (the upload cache), or, with none known, any https host (http only on this machine);
# never a URL with a user name.
KNOWN = ["https://cdn.plain.test/f/aaaa", "http://127.0.0.1:8765/cdn/tok"]
TRUST_CASES = {
    # (url, known download URLs, trusted)
    "https, none known": ("https://cdn.other.test/x", [], True),
    "http, none known": ("http://cdn.other.test/x", [], False),
    "http on 127.0.0.1": ("http://127.0.0.1:8765/cdn/t", [], True),
    "http on localhost": ("http://localhost:8765/cdn/t", [], True),
    "http on ::1": ("http://[::1]:8765/cdn/t", [], True),
    "http on a public IP": ("http://203.0.113.9/cdn/t", [], False),
    "a user name": ("https://user@evil.example/x", [], False),
    "a user name and password": ("https://u:p@cdn.plain.test/x", KNOWN, False),
    "a known host as the user name": ("https://cdn.plain.test@evil.example/x", KNOWN, False),
    "an empty user name": ("https://@cdn.plain.test/x", KNOWN, False),
    "a port that is no number": ("https://cdn.plain.test:x/y", [], False),
    "a port out of range": ("https://cdn.plain.test:99999/y", [], False),
    "no host": ("https:///x", [], False),
    "the known host": ("https://cdn.plain.test/f/bbbb", KNOWN, True),
    "the known host in capitals": ("https://CDN.Plain.Test/f/bbbb", KNOWN, True),
    "the known host with its default port": ("https://cdn.plain.test:443/f/b", KNOWN, True),
    "the known host on another port": ("https://cdn.plain.test:8443/f/b", KNOWN, False),
    "the known host over http": ("http://cdn.plain.test/f/b", KNOWN, False),
    "another https host when one is known": ("https://evil.example/x", KNOWN, False),
    "a subdomain of the known host": ("https://evil.cdn.plain.test/x", KNOWN, False),
    "the known loopback emulator": ("http://127.0.0.1:8765/cdn/other", KNOWN, True),
    "the loopback on another port": ("http://127.0.0.1:9999/cdn/other", KNOWN, False),
}


@pytest.mark.parametrize(("url", "known", "trusted"), TRUST_CASES.values(), ids=TRUST_CASES)
def test_only_plains_hosts_vouch_for_an_upload(url: str, known: list[str], trusted: bool) -> None:
    src = f"{url}#publisher-image={DIGEST}"
    assert trusted_image_url(src, known) is trusted
    expected = {DIGEST: url} if trusted else {}
    assert uploaded_in([f'<p><img src="{src}"></p>'], known_urls=known) == expected


def test_an_image_on_an_untrusted_host_in_an_own_article_is_uploaded_again(
    tmp_path: Path,
) -> None:
    site = site_of(tmp_path, {"a.md": article("A", body="![x](shot.png)"), "shot.png": PNG})
    digest = local_image("shot.png", tmp_path / "content/shot.png").digest
    for src in (
        f"http://cdn.evil.test/t#publisher-image={digest}",
        f"https://me@cdn.evil.test/t#publisher-image={digest}",
    ):
        own = remote_of(
            [IndexEntry("ARTICLE", "id_a")], [remote_article("a", f'<p><img src="{src}"></p>')]
        )
        plan = make_plan(site, own, {})
        assert [i.url for i in plan.images] == [None]
        assert [a.kind for a in plan.articles] == ["update"]


def test_the_upload_cache_drops_urls_that_cannot_be_plains(tmp_path: Path) -> None:
    path = tmp_path / "uploads.json"
    path.write_text(
        json.dumps(
            {
                "scope": {
                    "a" * 16: "https://cdn.plain.test/f/1",
                    "b" * 16: "http://evil.example/x.png",
                    "c" * 16: "javascript:alert(1)",
                    "d" * 16: "https://user@evil.example/x.png",
                    "e" * 16: "http://127.0.0.1:8765/cdn/t",
                    "f" * 16: 5,
                },
                "other": "not a table",
            }
        )
    )
    assert UploadCache(path, "scope").load() == {
        "a" * 16: "https://cdn.plain.test/f/1",
        "e" * 16: "http://127.0.0.1:8765/cdn/t",
    }
    assert UploadCache(path, "other").load() == {}
