"""`build` and `pull` never write through a link inside their destination.

A checkout of an untrusted branch (or a mistake) can leave `_site/assets -> ~/.ssh` or
`content/01-guides -> /etc` in place. Every variant is refused with an error naming the link
(exit 2) before anything is written: a link for a top folder or a nested one, pointing
outside, inside the destination, or nowhere, and a pipe where a file goes. A file that is
itself a link is never written through: `build` refuses it like any link (it makes none),
`pull` counts it as a file that exists, and `pull --force` replaces the link with the file.
The destination folder itself may be a link: the user named it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import Emulator
from content_factory import PNG, article, write_tree

from publisher import safe_write
from publisher.cli import main
from publisher.config import load_settings
from publisher.pipeline import build_project
from publisher.pull import PullConflictError, PullError, write_files
from publisher.site.builder import MARKER, OutputError

SITE_FILES: dict[str, str | bytes] = {
    "02-billing/refunds.md": article("Refunds", "![Form](images/form.png)"),
    "02-billing/images/form.png": PNG,
    "faq.md": article("FAQ", "Questions."),
}


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under `folder`, links not followed: files by bytes, links by target."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            found[rel] = path.read_bytes()
        elif path.is_dir():
            found[rel] = "dir"
        else:
            found[rel] = "special"
    return found


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside every destination, standing for ~/.ssh or /etc."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "authorized_keys").write_text("ssh-ed25519 AAAA precious\n")
    (folder / "index.html").write_text("not yours\n")
    (folder / "form.png").write_text("not yours either\n")
    return folder


def built_site(tmp_path: Path) -> Path:
    write_tree(tmp_path, SITE_FILES)
    out = tmp_path / "_site"
    build_project(load_settings(tmp_path), out, workers=1)
    assert (out / MARKER).is_file()
    return out


def build_cli(tmp_path: Path) -> Result:
    return CliRunner().invoke(main, ["build", str(tmp_path), "--out", str(tmp_path / "_site")])


# Each variant: (a path inside the built site, what the link points to: "OUTSIDE/..." for the
# folder outside, else as written). Folders are replaced by the link; files as well.
BUILD_LINKS = {
    "top-folder-to-outside": ("assets", "OUTSIDE"),
    "nested-folder-to-outside": ("assets/02-billing/images", "OUTSIDE"),
    "page-folder-to-outside": ("article/faq", "OUTSIDE"),
    "file-to-outside": ("index.html", "OUTSIDE/index.html"),
    "image-to-outside": ("assets/02-billing/images/form.png", "OUTSIDE/form.png"),
    "folder-to-inside": ("article/faq", "../group"),
    "folder-dangling": ("assets", "OUTSIDE/missing"),
    "file-dangling": ("article/refunds/index.html", "OUTSIDE/missing.html"),
    "marker": (MARKER, "OUTSIDE/index.html"),
}


@pytest.mark.parametrize("variant", list(BUILD_LINKS))
def test_build_refuses_links_in_its_output(tmp_path: Path, outside: Path, variant: str) -> None:
    out = built_site(tmp_path)
    rel, target = BUILD_LINKS[variant]
    link = out / rel
    if link.is_dir():
        for child in sorted(link.rglob("*"), reverse=True):
            child.rmdir() if child.is_dir() else child.unlink()
        link.rmdir()
    else:
        link.unlink()
    link.symlink_to(target.replace("OUTSIDE", str(outside)))
    # A change that a build would write.
    (tmp_path / "content/faq.md").write_text(article("FAQ", "New questions."))
    (tmp_path / "content/new.md").write_text(article("New", "New page."))
    before_out, before_outside = snapshot(out), snapshot(outside)

    result = build_cli(tmp_path)

    assert result.exit_code == 2, result.output
    assert f"{link}: is a symbolic link" in result.output
    assert "Traceback" not in result.output
    assert snapshot(outside) == before_outside
    assert snapshot(out) == before_out  # nothing written, nothing removed
    assert not (outside / "missing").exists() and not (outside / "missing.html").exists()

    # Once the link is gone, the build writes the folder it needs.
    link.unlink()
    if rel == MARKER:
        link.write_text("built by publisher\n")
    assert build_cli(tmp_path).exit_code == 0
    assert "New questions." in (out / "article/faq/index.html").read_text()
    assert not any(p.is_symlink() for p in out.rglob("*"))


def test_build_refuses_a_pipe_in_its_output_without_blocking(tmp_path: Path) -> None:
    out = built_site(tmp_path)
    (out / "index.html").unlink()
    os.mkfifo(out / "index.html")
    with pytest.raises(OutputError, match=r"index\.html: is not a regular file"):
        build_project(load_settings(tmp_path), out, workers=1)


def test_build_follows_an_output_folder_that_is_itself_a_link(tmp_path: Path) -> None:
    """The folder the user names may be a link (to a RAM disk, say): it is theirs."""
    real = tmp_path / "real-site"
    real.mkdir()
    (tmp_path / "_site").symlink_to(real)
    write_tree(tmp_path, SITE_FILES)
    assert build_cli(tmp_path).exit_code == 0
    assert (real / "article/faq/index.html").is_file() and (real / MARKER).is_file()
    assert build_cli(tmp_path).exit_code == 0  # and updated in place


# --- pull ------------------------------------------------------------------------------------

PULLED = {
    "01-guides/_group.yml": "name: Guides\nslug: guides\nid: g1\n",
    "01-guides/01-sub/_group.yml": "name: Sub\nslug: sub\nid: g2\n",
    "01-guides/01-sub/01-deep.md": "---\ntitle: Deep\nid: a1\n---\n\nDeep.\n",
    "01-guides/02-install.md": "---\ntitle: Install\nid: a2\n---\n\nInstall.\n",
    "02-faq.md": "---\ntitle: FAQ\nid: a3\n---\n\nFAQ.\n",
}

# (the link's path under content/, what it points to)
PULL_LINKS = {
    "top-folder-to-outside": ("01-guides", "OUTSIDE"),
    "nested-folder-to-outside": ("01-guides/01-sub", "OUTSIDE"),
    "folder-to-inside": ("01-guides/01-sub", "../elsewhere"),
    "folder-to-a-sibling": ("01-guides", "elsewhere"),
    "folder-dangling": ("01-guides", "OUTSIDE/missing"),
}


@pytest.mark.parametrize("force", [False, True], ids=["plain", "forced"])
@pytest.mark.parametrize("variant", list(PULL_LINKS))
def test_pull_refuses_folders_that_are_links(
    tmp_path: Path, outside: Path, variant: str, force: bool
) -> None:
    content = tmp_path / "content"
    (content / "elsewhere").mkdir(parents=True)
    rel, target = PULL_LINKS[variant]
    link = content / rel
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target.replace("OUTSIDE", str(outside)))
    before_content, before_outside = snapshot(content), snapshot(outside)

    with pytest.raises(PullError) as refused:
        write_files(content, PULLED, force=force)

    assert str(refused.value).startswith(f"{link}: is a symbolic link")
    assert "pull into another folder" in str(refused.value)
    assert refused.value.exit_code == 2
    assert snapshot(content) == before_content  # nothing written, even forced
    assert snapshot(outside) == before_outside
    assert not (outside / "missing").exists()


def test_pull_force_replaces_a_file_link_and_never_writes_through_it(
    tmp_path: Path, outside: Path
) -> None:
    content = tmp_path / "content"
    content.mkdir()
    links = {
        "02-faq.md": outside / "authorized_keys",  # to outside
        "01-guides/02-install.md": content / "notes.md",  # to inside
        "01-guides/_group.yml": outside / "missing.yml",  # dangling
    }
    (content / "notes.md").write_text("mine\n")
    (content / "01-guides").mkdir()
    for rel, target in links.items():
        (content / rel).symlink_to(target)
    before_outside = snapshot(outside)

    with pytest.raises(PullConflictError) as conflict:
        write_files(content, PULLED)
    assert conflict.value.count == 3

    written, overwritten = write_files(content, PULLED, force=True)
    assert sorted(p.relative_to(content).as_posix() for p in overwritten) == sorted(links)
    assert len(written) == len(PULLED)
    for rel, text in PULLED.items():
        path = content / rel
        assert not path.is_symlink() and path.read_text() == text
    assert snapshot(outside) == before_outside and not (outside / "missing.yml").exists()
    assert (content / "notes.md").read_text() == "mine\n"


@pytest.mark.parametrize("force", [False, True], ids=["plain", "forced"])
def test_pull_refuses_a_pipe_where_a_file_goes(tmp_path: Path, force: bool) -> None:
    content = tmp_path / "content"
    content.mkdir()
    os.mkfifo(content / "02-faq.md")
    with pytest.raises(PullError, match=r"02-faq\.md: is not a regular file"):
        write_files(content, PULLED, force=force)
    assert sorted(p.name for p in content.iterdir()) == ["02-faq.md"]


def test_pull_follows_a_destination_that_is_itself_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real-content"
    real.mkdir()
    (tmp_path / "content").symlink_to(real)
    write_files(tmp_path / "content", PULLED)
    assert (real / "01-guides/01-sub/01-deep.md").read_text() == PULLED[
        "01-guides/01-sub/01-deep.md"
    ]


def test_pull_command_names_the_link_and_exits_2(
    tmp_path: Path, outside: Path, emulator: Emulator
) -> None:
    group = emulator.create_group("Guides")
    emulator.upsert_article(title="Install", slug="install", helpCenterArticleGroupId=group["id"])
    (tmp_path / "publisher.toml").write_text("")
    (tmp_path / "content").mkdir()
    (tmp_path / "content/01-guides").symlink_to(outside)
    before_outside = snapshot(outside)
    environment = {
        "PLAIN_API_KEY": emulator.api_key,
        "PLAIN_API_URL": emulator.url,
        "PLAIN_HELP_CENTER_ID": emulator.help_center_id,
    }
    for extra in ([], ["--force"]):
        result = CliRunner().invoke(main, ["pull", str(tmp_path), *extra], env=environment)
        assert result.exit_code == 2, result.output
        assert "content/01-guides: is a symbolic link" in result.output
        assert "Traceback" not in result.output
    assert snapshot(outside) == before_outside


# --- The writer itself, against a link that appears after the checks ------------------------


def test_a_link_swapped_in_after_the_check_is_not_followed(tmp_path: Path, outside: Path) -> None:
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    safe_write.check_parents(root, "a/b/file.txt")  # fine now
    (root / "a/b").symlink_to(outside)  # ... and then a link appears
    with pytest.raises(safe_write.UnsafePath) as unsafe:
        safe_write.write_file(root, "a/b/file.txt", b"x")
    assert unsafe.value.path == root / "a/b" and unsafe.value.reason == safe_write.LINK
    assert not (outside / "file.txt").exists()
    assert safe_write.read_file(root, "a/b/authorized_keys") is None
    with pytest.raises(safe_write.UnsafePath):
        safe_write.remove(root, "a/b/authorized_keys")
    assert (outside / "authorized_keys").exists()
    # A link in the file's own place is replaced, not written through.
    (root / "a/c").mkdir()
    (root / "a/c/file.txt").symlink_to(outside / "index.html")
    safe_write.write_file(root, "a/c/file.txt", b"new")
    assert (root / "a/c/file.txt").read_bytes() == b"new"
    assert (outside / "index.html").read_text() == "not yours\n"
