"""Settings: defaults, the three sources, their precedence, and an error for each bad value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vivace import App
from vivace.core.config import FIELDS, Settings, load_settings
from vivace.core.exceptions import ConfigError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in FIELDS:
        monkeypatch.delenv("VIVACE_" + name.upper(), raising=False)


def write_toml(root: Path, text: str) -> Path:
    path = root / "vivace.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, {})
    assert settings == Settings()
    assert settings.debug is False
    assert settings.secret_key is None
    assert settings.allowed_hosts == ["localhost", "127.0.0.1", "[::1]", "testserver"]
    assert settings.max_body_size == int(2.5 * 1024 * 1024)
    assert settings.trailing_slash == "redirect"
    assert settings.referrer_policy == "same-origin"


def test_each_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(tmp_path, {"max_form_fields": 5}).max_form_fields == 5
    monkeypatch.setenv("VIVACE_MAX_FORM_FIELDS", "6")
    assert load_settings(tmp_path, {}).max_form_fields == 6
    monkeypatch.delenv("VIVACE_MAX_FORM_FIELDS")
    write_toml(tmp_path, "[vivace]\nmax_form_fields = 7\n")
    assert load_settings(tmp_path, {}).max_form_fields == 7


@pytest.mark.parametrize(
    ("kwarg", "env", "toml", "expected"),
    [
        (1, "2", 3, 1),
        (None, "2", 3, 2),
        (None, None, 3, 3),
        (None, None, None, 1000),
        (1, None, 3, 1),
        (1, "2", None, 1),
    ],
)
def test_precedence_kwargs_env_toml_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kwarg: Any, env: Any, toml: Any, expected: int
) -> None:
    if env is not None:
        monkeypatch.setenv("VIVACE_MAX_FORM_FIELDS", env)
    if toml is not None:
        write_toml(tmp_path, f"[vivace]\nmax_form_fields = {toml}\n")
    overrides = {} if kwarg is None else {"max_form_fields": kwarg}
    assert load_settings(tmp_path, overrides).max_form_fields == expected


def test_an_app_reads_its_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_toml(tmp_path, '[vivace]\ntrailing_slash = "strict"\nhsts_seconds = 60\n')
    monkeypatch.setenv("VIVACE_HSTS_SECONDS", "120")
    app = App("t", root=tmp_path, debug=True)
    assert app.debug is True
    assert app.settings.trailing_slash == "strict"
    assert app.settings.hsts_seconds == 120


def test_explicit_environ_mapping(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, {}, {"VIVACE_DEBUG": "true", "VIVACE_APP": "x:app"})
    assert settings.debug is True


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("1", True), ("false", False), ("0", False)])
def test_env_booleans(tmp_path: Path, raw: str, expected: bool) -> None:
    assert load_settings(tmp_path, {}, {"VIVACE_DEBUG": raw}).debug is expected


def test_env_lists_are_comma_separated(tmp_path: Path) -> None:
    environ = {"VIVACE_ALLOWED_HOSTS": " example.com, .example.org ,,[::1] "}
    assert load_settings(tmp_path, {}, environ).allowed_hosts == ["example.com", ".example.org", "[::1]"]


@pytest.mark.parametrize("raw", ["", "none", "NULL"])
def test_env_none_for_optional_settings(tmp_path: Path, raw: str) -> None:
    assert load_settings(tmp_path, {}, {"VIVACE_SECRET_KEY": raw}).secret_key is None


def test_env_numbers(tmp_path: Path) -> None:
    environ = {"VIVACE_BODY_TIMEOUT": "2.5", "VIVACE_MAX_BODY_SIZE": "1024"}
    settings = load_settings(tmp_path, {}, environ)
    assert (settings.body_timeout, settings.max_body_size) == (2.5, 1024)


def test_toml_other_tables_are_ignored(tmp_path: Path) -> None:
    write_toml(tmp_path, '[tool.other]\nx = 1\n\n[vivace]\nstatic_url = "/assets/"\n')
    assert load_settings(tmp_path, {}).static_url == "/assets/"


# Bad values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value", "allowed"),
    [
        ("debug", "yes", "allowed: true or false"),
        ("max_body_size", -1, "allowed: a number of bytes"),
        ("max_form_fields", "many", "allowed: a whole number, 0 or more"),
        ("body_timeout", 0, "allowed: a number of seconds above 0"),
        ("thread_pool_size", 0, "allowed: a whole number, 1 or more"),
        ("trailing_slash", "sometimes", "allowed: 'redirect' or 'strict'"),
        ("frame_options", "ALLOW", "allowed: 'DENY' or 'SAMEORIGIN'"),
        ("referrer_policy", "same-origin\r\nSet-Cookie: x=1", "allowed: 'no-referrer' or"),
        ("allowed_hosts", "example.com", "allowed: a list of strings"),
        ("allowed_hosts", ["ok", 3], "allowed: a list of strings"),
        ("static_url", 5, "allowed: a string"),
    ],
)
def test_a_bad_keyword_value_names_setting_source_and_allowed(
    tmp_path: Path, setting: str, value: Any, allowed: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, {setting: value})
    message = str(info.value)
    assert message.startswith(f"setting {setting} = {value!r} (from App({setting}=...)) is invalid: ")
    assert allowed in message


def test_a_bad_env_value_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIVACE_DEBUG", "maybe")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, {})
    message = str(info.value)
    assert "setting debug = 'maybe' (from VIVACE_DEBUG)" in message
    assert "allowed: true or false" in message


def test_a_bad_toml_value_names_the_file_and_key(tmp_path: Path) -> None:
    path = write_toml(tmp_path, '[vivace]\nmax_body_size = "big"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, {})
    message = str(info.value)
    assert f"(from {path} [vivace] max_body_size)" in message
    assert "allowed: a number of bytes" in message


def test_a_bad_value_that_is_overridden_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_toml(tmp_path, '[vivace]\ndebug = "nope"\n')
    monkeypatch.setenv("VIVACE_DEBUG", "also nope")
    assert load_settings(tmp_path, {"debug": True}).debug is True


def test_a_bad_secret_is_not_echoed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, {"secret_key": 123456789})
    assert "123456789" not in str(info.value)
    assert "secret_key = [redacted]" in str(info.value)


def test_an_app_with_a_bad_value_does_not_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="setting trailing_slash = 'no'"):
        App("t", root=tmp_path, trailing_slash="no")


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("debgu", "did you mean 'debug'?"), ("max_body", "did you mean 'max_body_size'?"), ("zzzz", None)],
)
def test_unknown_keyword_setting_with_a_suggestion(tmp_path: Path, name: str, suggestion: str | None) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, {name: 1})
    message = str(info.value)
    assert f"unknown setting {name!r} in App()" in message
    if suggestion:
        assert suggestion in message
    else:
        assert "did you mean" not in message


def test_unknown_toml_setting_with_a_suggestion(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "[vivace]\nalowed_hosts = []\n")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, {})
    expected = f"unknown setting 'alowed_hosts' in {path} [vivace]; did you mean 'allowed_hosts'?"
    assert str(info.value) == expected


def test_unknown_setting_through_the_app(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="did you mean 'static_dir'"):
        App("t", root=tmp_path, static_dri="x")


def test_invalid_toml(tmp_path: Path) -> None:
    write_toml(tmp_path, "[vivace\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(tmp_path, {})


def test_vivace_must_be_a_table(tmp_path: Path) -> None:
    write_toml(tmp_path, "vivace = 3\n")
    with pytest.raises(ConfigError, match=r"\[vivace\] must be a table of settings"):
        load_settings(tmp_path, {})


def test_every_setting_describes_what_it_allows(tmp_path: Path) -> None:
    from vivace.core.config import _describe

    for name in FIELDS:
        description = _describe(name)
        assert description
        assert "Annotated" not in description
        assert "typing" not in description
