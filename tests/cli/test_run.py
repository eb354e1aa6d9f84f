"""``vivace run`` and ``vivace demo`` up to the server call: options, modes, errors."""

from __future__ import annotations

import importlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import vivace.demo
from vivace.cli import cli
from vivace.cli.run import browser_url
from vivace.core.app import server_limits
from vivace.server import ServerLimits

from .conftest import WriteFile

APP = "from vivace import App\napp = App(__name__)\n"


class Served:
    """What the fake ``serve`` was called with, and the environment at that moment."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []
        self.debug_var: str | None = None

    def __call__(self, target: Any, **options: Any) -> None:
        self.calls.append((target, options))
        self.debug_var = os.environ.get("VIVACE_DEBUG")

    @property
    def options(self) -> dict[str, Any]:
        assert len(self.calls) == 1
        return self.calls[0][1]


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    fake = Served()
    monkeypatch.setattr("vivace.server.serve", fake)
    yield fake


@pytest.fixture
def project(write: WriteFile, in_tmp: Path) -> Path:
    write("app.py", APP)
    return in_tmp


def loaded_app() -> Any:
    """The app of the current test's folder, as the command imported it."""
    return importlib.import_module("app").app


def test_development_defaults(runner: CliRunner, project: Path, served: Served) -> None:
    result = runner.invoke(cli, ["run", "--port", "8123"])
    assert result.exit_code == 0, result.output
    target, options = served.calls[0]
    assert target == "app:app"
    assert options["host"] == "127.0.0.1" and options["port"] == 8123
    assert options["reload"] is True and options["workers"] == 1
    assert options["reload_dirs"] == [str(project.resolve())]
    assert options["access_log"] is True
    assert served.debug_var == "1"
    app = loaded_app()
    assert app.debug is True
    assert isinstance(options["limits"], ServerLimits)
    assert options["limits"] == server_limits(app.settings)
    assert "Open http://127.0.0.1:8123/" in result.output
    assert "(debug on, reloading on changes)" in result.output
    assert "VIVACE_DEBUG" not in os.environ  # the runner restored it


def test_limits_come_from_the_settings(
    runner: CliRunner, write: WriteFile, in_tmp: Path, served: Served
) -> None:
    write("app.py", "from vivace import App\napp = App(__name__, header_timeout=3.5)\n")
    assert runner.invoke(cli, ["run", "--port", "8123"]).exit_code == 0
    assert served.options["limits"].header_timeout == 3.5


def test_workers_mean_production(runner: CliRunner, project: Path, served: Served) -> None:
    result = runner.invoke(cli, ["run", "--workers", "3", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert served.options["workers"] == 3
    assert served.options["reload"] is False
    assert served.options["reload_dirs"] is None
    assert served.debug_var is None
    assert loaded_app().debug is False
    assert served.options["access_log"] is False
    assert "(debug off, 3 workers, no access log)" in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--workers", "2", "--access-log"], True),
        (["--no-access-log"], False),
        (["--workers", "2", "--no-access-log"], False),
    ],
)
def test_the_access_log_option_beats_the_mode(
    runner: CliRunner, project: Path, served: Served, args: list[str], expected: bool
) -> None:
    result = runner.invoke(cli, ["run", *args, "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert served.options["access_log"] is expected
    assert ("no access log" in result.output) is not expected


def test_help_documents_the_access_log_default(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["run", "--help"])
    assert result.exit_code == 0
    assert "--access-log / --no-access-log" in result.output
    assert "off with --workers above 1" in result.output


def test_production_with_debug_asked_for(runner: CliRunner, project: Path, served: Served) -> None:
    assert runner.invoke(cli, ["run", "--workers", "2", "--debug", "--port", "8123"]).exit_code == 0
    assert served.debug_var == "1"
    assert loaded_app().debug is True


def test_development_without_debug_or_reload(runner: CliRunner, project: Path, served: Served) -> None:
    result = runner.invoke(cli, ["run", "--no-debug", "--no-reload", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert served.debug_var == "0"
    assert loaded_app().debug is False
    assert served.options["reload"] is False


def test_the_environment_decides_debug_when_no_option_does(
    runner: CliRunner, project: Path, served: Served
) -> None:
    result = runner.invoke(cli, ["run", "--port", "8123"], env={"VIVACE_DEBUG": "0"})
    assert result.exit_code == 0, result.output
    assert loaded_app().debug is False


def test_listening_on_every_address_prints_a_url_to_open(
    runner: CliRunner, project: Path, served: Served
) -> None:
    result = runner.invoke(cli, ["run", "--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert served.options["host"] == "0.0.0.0"
    assert "Open http://127.0.0.1:8123/" in result.output
    assert "allowed_hosts" in result.output


def test_demo(runner: CliRunner, served: Served) -> None:
    result = runner.invoke(cli, ["demo", "--port", "8124", "--no-reload"])
    assert result.exit_code == 0, result.output
    target, options = served.calls[0]
    assert target == "vivace.demo.app:app"
    assert options["reload"] is False and options["port"] == 8124
    assert "Open http://127.0.0.1:8124/" in result.output


def test_demo_reloads_by_default(runner: CliRunner, served: Served) -> None:
    assert runner.invoke(cli, ["demo", "--port", "8124"]).exit_code == 0
    assert served.options["reload"] is True
    assert served.options["reload_dirs"] == [str(Path(vivace.demo.__file__).parent)]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--port", "0"], "'--port'"),
        (["--port", "65536"], "'--port'"),
        (["--port", "http"], "'--port'"),
        (["--workers", "0"], "'--workers'"),
        (["--workers", "two"], "'--workers'"),
        (["--workers", "2", "--reload"], "--reload cannot be combined with --workers 2"),
        (["--access-log=yes"], "--access-log"),
        (["--host", "no-such-host.invalid"], "'--host'"),
        (["--colour"], "No such option '--colour'"),
    ],
)
def test_bad_options_name_the_option(
    runner: CliRunner, project: Path, served: Served, args: list[str], option: str
) -> None:
    result = runner.invoke(cli, ["run", *args])
    assert result.exit_code == 2, result.output
    assert option in result.output
    assert served.calls == []


def test_port_in_use(runner: CliRunner, project: Path, served: Served) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(cli, ["run", "--port", str(port)])
    assert result.exit_code == 2
    assert f"Invalid value for '--port': port {port} is in use" in result.output
    assert served.calls == []


def test_no_app(runner: CliRunner, in_tmp: Path, served: Served) -> None:
    result = runner.invoke(cli, ["run"])
    assert result.exit_code == 1
    assert "no app found" in result.output
    assert served.calls == []


def test_bad_app_option(runner: CliRunner, project: Path, served: Served) -> None:
    result = runner.invoke(cli, ["run", "--app", "nope:app"])
    assert result.exit_code == 1
    assert "cannot import 'nope' (from --app)" in result.output


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:80/"),
        ("0.0.0.0", "http://127.0.0.1:80/"),
        ("::", "http://[::1]:80/"),
        ("::1", "http://[::1]:80/"),
        ("example.com", "http://example.com:80/"),
    ],
)
def test_browser_url(host: str, url: str) -> None:
    assert browser_url(host, 80) == url
