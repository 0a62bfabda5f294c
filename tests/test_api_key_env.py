"""`api_key_env` names the variable that holds a target's key. A key pasted there instead is
refused, and never repeated in any message: not when it is no variable name, not when it
happens to be one (`plainApiKey_abc123XYZ` is a valid identifier), not as a wrong type."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from content_factory import article, write_tree

from publisher.cli import main
from publisher.config import ConfigError, load_settings
from publisher.errors import EXIT_USAGE

# (the pasted value as TOML, a part of it that must never be shown)
PASTED = {
    "a key that is a valid name": ('"plainApiKey_abc123XYZ"', "abc123XYZ"),
    "a key in capitals": ('"PLAINAPIKEY_ABC123XYZ"', "ABC123XYZ"),
    "a key with a dash": ('"plainApiKey-0123456789abcdef"', "0123456789abcdef"),
    "lowercase and digits, 32 long": ('"a8f3k2j9d8s7f6g5h4j3k2l1m0n9b8v7"', "a8f3k2j9d8s7f6g5"),
    "mixed case and digits, 22 long": ('"Xk9qL2mZ7tR4vB8nW3yHp6"', "Xk9qL2mZ7tR4"),
    "capitals and digits, 30 long": ('"A8F3K2J9D8S7F6G5H4J3K2L1M0N9B8"', "A8F3K2J9D8S7"),
    "a token after a prefix": ('"MY_a8f3k2j9d8s7f6g5h4j3k2l1m0n9b8v7"', "a8f3k2j9d8s7"),
    "hex, starting with a digit": ('"0123456789abcdef0123456789abcdef"', "0123456789abcdef"),
    "with a newline": ('"plainApiKey_abc\\n123"', "abc"),
    "in a list": ('["plainApiKey_abc123XYZ"]', "abc123XYZ"),
    "a number": ("123456789012345", "123456789012345"),
    "a table": ('{ key = "plainApiKey_abc123XYZ" }', "abc123XYZ"),
}

NAMES = [
    "PLAIN_API_KEY_STAGING",
    "PLAIN_API_KEY_STAGING_2",
    "PLAIN_KEY_EU_WEST_1",
    "HelpCenterKey2024",
    "plain_api_key_for_staging_2",
    "MY_VERY_LONG_DESCRIPTIVE_VARIABLE_NAME_FOR_THE_KEY",
    "ACCOUNTINGDEPARTMENTHELPCENTERKEY",
    "_PRIVATE_KEY",
]


@pytest.mark.parametrize(("toml", "secret"), PASTED.values(), ids=PASTED)
def test_a_pasted_key_is_refused_and_never_repeated(tmp_path: Path, toml: str, secret: str) -> None:
    config = tmp_path / "publisher.toml"
    config.write_text(f'[targets.live]\nhelp_center_id = "hc_1"\napi_key_env = {toml}\n')
    (tmp_path / "content").mkdir()
    for target in ("live", None):  # refused even when another target is used
        with pytest.raises(ConfigError) as error:
            load_settings(tmp_path, target)
        message = str(error.value)
        assert secret not in message
        assert "api_key_env" in message and "live" in message and str(config) in message


@pytest.mark.parametrize("name", NAMES)
def test_variable_names_are_accepted(tmp_path: Path, name: str) -> None:
    (tmp_path / "publisher.toml").write_text(f'[targets.live]\napi_key_env = "{name}"\n')
    assert load_settings(tmp_path, "live").api_key_env == name


@pytest.mark.parametrize("command", [["check"], ["plan", "--target", "live"], ["build"]])
def test_no_command_prints_a_pasted_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    write_tree(tmp_path, {"a.md": article("A")})
    (tmp_path / "publisher.toml").write_text(
        '[targets.live]\nhelp_center_id = "hc_1"\napi_key_env = "plainApiKey_abc123XYZ"\n'
    )
    monkeypatch.setenv("plainApiKey_abc123XYZ", "whatever")
    result = CliRunner().invoke(main, [*command, str(tmp_path)])
    assert result.exit_code == EXIT_USAGE, result.output
    assert "abc123XYZ" not in result.output
    assert "looks like an API key" in result.output and "revoke" in result.output
