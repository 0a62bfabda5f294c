"""The distributions as users get them: `python -m build` makes an sdist and, from it, a wheel;
both pass `twine check`; the wheel holds every file the package reads at run time; and,
installed by the GitHub Action's own install step into a fresh virtual environment (not
editable, nothing of this checkout on the path), it checks, builds and publishes the sample
help center to an emulator started from that environment, after which `plan` has nothing to
change. A file left out of the package fails here.

The install resolves the dependencies from the package index once (`pip wheel`, served from
pip's cache after the first run) and then installs with `--no-index` from that folder, so the
wheel built here is the one installed even when the same version is already on PyPI.
"""

from __future__ import annotations

import email.parser
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_ci_workflow import load_yaml

import publisher

# builds and installs the package into a fresh environment
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
VERSION = publisher.__version__
DIST_NAME = "help_center_publisher"


def run(
    args: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without this checkout's virtual environment or any Plain settings."""
    drop = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PLAIN_", "GITHUB_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "/usr/bin:/bin").split(os.pathsep) if p != venv_bin
    )
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("build", reason="`build` is in the dev extra: pip install -e '.[dev]'")
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=ROOT)
    return out


def wheel_of(dist: Path) -> Path:
    [wheel] = dist.glob(f"{DIST_NAME}-{VERSION}-py3-none-any.whl")
    return wheel


def sdist_of(dist: Path) -> Path:
    [sdist] = dist.glob(f"{DIST_NAME}-{VERSION}.tar.gz")
    return sdist


# What is in them -------------------------------------------------------------------------------


def package_files() -> set[str]:
    """Every file the package reads or imports, as paths inside the wheel."""
    git = shutil.which("git")
    listed = (
        subprocess.run(
            [git, "ls-files", "--cached", "--others", "--exclude-standard", "-z", "publisher"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if git
        else None
    )
    if listed is not None and listed.returncode == 0:  # what git tracks or would: not ignored
        wanted = {name for name in listed.stdout.split("\0") if name and (ROOT / name).is_file()}
    else:
        wanted = {
            str(path.relative_to(ROOT))
            for path in (ROOT / "publisher").rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
        }
    # The preview theme lives at the top of the repository and ships inside the package.
    wanted |= {f"publisher/templates/{p.name}" for p in (ROOT / "templates").iterdir()}
    return wanted


def test_the_wheel_holds_the_package_its_data_and_the_theme(dist: Path) -> None:
    names = set(zipfile.ZipFile(wheel_of(dist)).namelist())
    missing = package_files() - names
    assert not missing, f"not in the wheel: {sorted(missing)}"
    for required in (
        "publisher/py.typed",
        "publisher/templates/base.html",
        "publisher/emulator/schema.graphql",
        "publisher/emulator/templates/base.html",
        "publisher/plain/operations.graphql",
        f"{DIST_NAME}-{VERSION}.dist-info/licenses/LICENSE",
    ):
        assert required in names, required
    # Nothing of the repository's tooling or tests.
    assert not [n for n in names if n.startswith(("tests/", "content/", "bench/", ".github/"))]


def test_the_sdist_can_rebuild_the_wheel(dist: Path) -> None:
    import tarfile

    prefix = f"{DIST_NAME}-{VERSION}/"
    with tarfile.open(sdist_of(dist)) as sdist:
        names = {n.removeprefix(prefix) for n in sdist.getnames()}
    for required in (
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "publisher/py.typed",
        "publisher/emulator/schema.graphql",
        "publisher/plain/operations.graphql",
        *(f"templates/{p.name}" for p in (ROOT / "templates").iterdir()),
    ):
        assert required in names, required


def metadata(dist: Path) -> Any:
    with zipfile.ZipFile(wheel_of(dist)) as wheel:
        text = wheel.read(f"{DIST_NAME}-{VERSION}.dist-info/METADATA").decode("utf-8")
    return email.parser.Parser().parsestr(text)


def test_metadata(dist: Path) -> None:
    meta = metadata(dist)
    assert meta["Name"] == "help-center-publisher"
    assert meta["Version"] == VERSION
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["License-Expression"] == "MIT"
    assert meta["Summary"]
    assert meta["Description-Content-Type"] == "text/markdown"
    classifiers = set(meta.get_all("Classifier"))
    for wanted in (
        "Programming Language :: Python :: 3.11",
        "Environment :: Console",
        "Topic :: Documentation",
        "Typing :: Typed",
    ):
        assert wanted in classifiers, wanted
    # PEP 639: the license is the expression; PyPI refuses a License classifier beside it.
    assert not [c for c in classifiers if c.startswith("License ::")]
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert set(urls) == {"Homepage", "Repository", "Issues", "Documentation"}
    assert all(u.startswith("https://github.com/OWNER/publisher") for u in urls.values())
    with zipfile.ZipFile(wheel_of(dist)) as wheel:
        entry_points = wheel.read(f"{DIST_NAME}-{VERSION}.dist-info/entry_points.txt").decode()
    assert "publisher = publisher.cli:main" in entry_points


def test_twine_check_passes(dist: Path) -> None:
    pytest.importorskip("twine", reason="`twine` is in the dev extra: pip install -e '.[dev]'")
    done = run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, sorted(dist.iterdir()))],
        cwd=dist,
    )
    assert done.stdout.count("PASSED") == 2, done.stdout


# Installed and used ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh virtual environment made by the action's install step."""
    work = tmp_path_factory.mktemp("install")
    wheelhouse = work / "wheelhouse"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--wheel-dir",
            str(wheelhouse),
            str(wheel_of(dist)),
        ],
        cwd=work,
        env=clean_env(),
    )
    [step] = [
        s
        for s in load_yaml((ROOT / "action.yml").read_text())["runs"]["steps"]
        if s.get("id") == "install"
    ]
    script = work / "install.sh"
    script.write_text(step["run"], encoding="utf-8")
    output = work / "github_output"
    output.write_text("", encoding="utf-8")
    run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=work,
        env=clean_env(
            PUBLISHER_VERSION=VERSION,
            PUBLISHER_PYTHON=sys.executable,
            RUNNER_TEMP=str(work),
            GITHUB_OUTPUT=str(output),
            GITHUB_PATH=str(work / "github_path"),
            PIP_NO_INDEX="1",
            PIP_FIND_LINKS=str(wheelhouse),
        ),
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    bin_dir = Path(outputs["bin"])
    assert bin_dir == work / "help-center-publisher" / "bin"
    assert (work / "github_path").read_text().strip() == str(bin_dir)
    return bin_dir


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The sample help center, without this repository's templates/ (the theme must come
    from the package)."""
    target = tmp_path / "help-center"
    shutil.copytree(ROOT / "content", target / "content")
    shutil.copy2(ROOT / "publisher.toml", target / "publisher.toml")
    return target


@pytest.fixture
def emulator_env(installed: Path, tmp_path: Path) -> Iterator[dict[str, str]]:
    """An emulator started from the installed environment: its `export` lines as a dict."""
    out_path, err_path = tmp_path / "emulator.out", tmp_path / "emulator.err"
    with out_path.open("w") as out, err_path.open("w") as err:
        process = subprocess.Popen(
            [str(installed / "publisher"), "emulator", "--port", "0", "--help-center", "Ledgerly"],
            cwd=tmp_path,
            env=clean_env(PYTHONUNBUFFERED="1"),
            stdout=out,
            stderr=err,
            text=True,
        )
    try:
        deadline = time.monotonic() + 30
        lines: list[str] = []
        while not any(line.startswith("ready") for line in lines):
            assert process.poll() is None, f"the emulator exited:\n{err_path.read_text()}"
            assert time.monotonic() < deadline, f"the emulator did not start:\n{lines}"
            time.sleep(0.05)
            lines = out_path.read_text(encoding="utf-8").splitlines()
        announced = dict(line.partition(": ")[::2] for line in lines if ": " in line)
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in lines
            if line.startswith("export ")
        )
        assert exports["PLAIN_API_URL"] == announced["emulator"]
        assert exports["PLAIN_API_KEY"] == announced["api key"]
        assert exports["PLAIN_HELP_CENTER_ID"] == announced["help center Ledgerly"]
        exports["WEB_VIEW"] = announced["web view"]
        yield exports
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_the_installed_package_is_not_this_checkout(installed: Path, tmp_path: Path) -> None:
    done = run(
        [str(installed / "python"), "-c", "import publisher; print(publisher.__file__)"],
        cwd=tmp_path,
        env=clean_env(),
    )
    location = Path(done.stdout.strip())
    assert location.is_relative_to(installed.parent) and "site-packages" in location.parts
    assert (location.parent / "py.typed").is_file()
    version = run([str(installed / "publisher"), "--version"], cwd=tmp_path, env=clean_env())
    assert VERSION in version.stdout


def test_check_build_publish_then_nothing_to_change(
    installed: Path, project: Path, emulator_env: dict[str, str]
) -> None:
    tool = str(installed / "publisher")
    env = clean_env(**{k: v for k, v in emulator_env.items() if k.startswith("PLAIN_")})

    checked = run([tool, "check"], cwd=project, env=env)
    assert "ok: 24 articles" in checked.stderr, checked.stderr

    built = run([tool, "build", "--out", "_site"], cwd=project, env=env)
    assert "built" in built.stderr
    index = (project / "_site" / "index.html").read_text(encoding="utf-8")
    assert "Ledgerly Help Center" in index  # the packaged theme rendered the site

    published = run([tool, "publish"], cwd=project, env=env)
    assert "created 24" in published.stdout, published.stdout

    planned = run([tool, "plan"], cwd=project, env=env)
    assert "Nothing to change" in planned.stdout, planned.stdout

    # The emulator's web view renders its packaged templates.
    page = httpx.get(emulator_env["WEB_VIEW"], timeout=10)
    assert page.status_code == 200 and "Ledgerly" in page.text
