"""Settings: project or content folder, config files, env and flag precedence."""

from __future__ import annotations

from pathlib import Path

import pytest
from content_factory import article, write_tree

from publisher.config import PLAIN_API_URL, ConfigError, load_settings


def test_project_folder_with_content_subfolder_and_no_config(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.md": article("A")})
    settings = load_settings(tmp_path)
    assert settings.content_dir == (tmp_path / "content").resolve()
    assert settings.out_dir == (tmp_path / "_site").resolve()
    assert settings.cache_dir == (tmp_path / ".publisher/cache").resolve()
    assert settings.api_url == PLAIN_API_URL
    assert settings.config_file is None


def test_content_folder_given_directly_finds_config_above(tmp_path: Path) -> None:
    content = write_tree(tmp_path, {"a.md": article("A")})
    (tmp_path / "publisher.toml").write_text('out = "public"\nsite_name = "Docs"\n')
    settings = load_settings(content)
    assert settings.content_dir == content.resolve()
    assert settings.out_dir == (tmp_path / "public").resolve()
    assert settings.site_name == "Docs"


def test_publisher_toml_sets_content_folder(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "publisher.toml").write_text('content = "docs"\nhelp_center_id = "hc_1"\n')
    settings = load_settings(tmp_path)
    assert settings.content_dir == (tmp_path / "docs").resolve()
    assert settings.help_center_id == "hc_1"


def test_pyproject_tool_table_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.publisher]\nconcurrency = 3\n")
    assert load_settings(tmp_path).concurrency == 3


def test_pyproject_without_the_table_is_not_a_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    write_tree(tmp_path, {"a.md": article("A")})
    assert load_settings(tmp_path).config_file is None


def test_env_overrides_file_and_flags_override_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "publisher.toml").write_text(
        'help_center_id = "from-file"\napi_url = "http://file"\n'
    )
    monkeypatch.setenv("PLAIN_HELP_CENTER_ID", "from-env")
    settings = load_settings(tmp_path)
    assert settings.help_center_id == "from-env"
    assert settings.api_url == "http://file"
    flagged = settings.with_overrides(help_center_id="from-flag", api_url=None)
    assert flagged.help_center_id == "from-flag"
    assert flagged.api_url == "http://file"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('contnet = "x"\n', "unknown setting 'contnet' (did you mean 'content'?)"),
        ("concurrency = 'many'\n", "'concurrency' must be a whole number"),
        ("concurrency = 0\n", "'concurrency' must be at least 1"),
        ("content = [\n", "invalid TOML"),
    ],
)
def test_bad_config_names_the_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "publisher.toml").write_text(text)
    with pytest.raises(ConfigError, match=r"publisher\.toml") as error:
        load_settings(tmp_path)
    assert message in str(error.value)


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such folder"):
        load_settings(tmp_path / "nope")


TARGETS = """
help_center_id = "hc_default"

[targets.staging]
help_center_id = "hc_staging"
api_url = "http://staging.example/graphql/v1"
api_key_env = "PLAIN_API_KEY_STAGING"

[targets.production]
help_center_id = "hc_production"
"""


def test_targets_pick_help_center_url_and_key_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "publisher.toml").write_text(TARGETS)
    monkeypatch.setenv("PLAIN_HELP_CENTER_ID", "hc_from_env")
    assert load_settings(tmp_path).help_center_id == "hc_from_env"
    staging = load_settings(tmp_path, "staging")
    assert (staging.help_center_id, staging.api_url, staging.api_key_env, staging.target) == (
        "hc_staging",
        "http://staging.example/graphql/v1",
        "PLAIN_API_KEY_STAGING",
        "staging",
    )
    production = load_settings(tmp_path, "production")
    assert (production.help_center_id, production.api_url, production.api_key_env) == (
        "hc_production",
        PLAIN_API_URL,
        "PLAIN_API_KEY",
    )


@pytest.mark.parametrize(
    ("text", "target", "message"),
    [
        (TARGETS, "prod", "no target 'prod' (targets: production, staging)"),
        (
            '[targets.staging]\nhelp_centre_id = "x"\n',
            "staging",
            "unknown setting 'targets.staging.help_centre_id' (did you mean 'help_center_id'?)",
        ),
        (
            '[targets.staging]\napi_key = "plainApiKey_x"\n',
            "staging",
            "unknown setting 'targets.staging.api_key'",
        ),
        ("targets = 3\n", None, "'targets' must be tables"),
    ],
)
def test_bad_targets_are_usage_errors(
    tmp_path: Path, text: str, target: str | None, message: str
) -> None:
    (tmp_path / "publisher.toml").write_text(text)
    with pytest.raises(ConfigError) as error:
        load_settings(tmp_path, target)
    assert message in str(error.value)


def test_a_key_pasted_as_api_key_env_is_refused_without_being_repeated(tmp_path: Path) -> None:
    pasted = "plainApiKey_0123456789abcdef-pasted"
    (tmp_path / "publisher.toml").write_text(f'[targets.live]\napi_key_env = "{pasted}"\n')
    with pytest.raises(ConfigError) as error:
        load_settings(tmp_path, "live")
    assert "'api_key_env' must name an environment variable" in str(error.value)
    assert "0123456789abcdef" not in str(error.value)
