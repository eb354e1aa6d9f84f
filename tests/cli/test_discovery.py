"""Finding the app: --app, VIVACE_APP, app.py/main.py/asgi.py, and every way it can fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from vivace.cli import cli
from vivace.cli.discovery import find_app

from .conftest import WriteFile

APP = """
from vivace import App

app = App(__name__)

@app.get("/")
def index():
    return "hello"
"""


def test_finds_app_py_in_the_current_folder(write: WriteFile, in_tmp: Path) -> None:
    write("app.py", APP)
    found = find_app()
    assert found.import_string == "app:app"
    assert found.app_dir == in_tmp.resolve()
    assert [route.path for route in found.app.router.routes] == ["/"]


@pytest.mark.parametrize("filename", ["main.py", "asgi.py"])
def test_falls_back_to_main_and_asgi(write: WriteFile, in_tmp: Path, filename: str) -> None:
    write(filename, APP)
    assert find_app().import_string == f"{filename[:-3]}:app"


def test_app_py_wins_over_main_py(write: WriteFile, in_tmp: Path) -> None:
    write("main.py", APP)
    write("app.py", APP)
    assert find_app().module == "app"


def test_the_only_app_instance_under_another_name(write: WriteFile, in_tmp: Path) -> None:
    write("app.py", "from vivace import App\nsite = App(__name__)\nalias = site\n")
    assert find_app().import_string == "app:site"


def test_option_with_module_and_attribute(write: WriteFile, in_tmp: Path) -> None:
    write("web.py", "from vivace import App\nfirst = App(__name__)\nsecond = App(__name__)\n")
    assert find_app("web:second").import_string == "web:second"


def test_option_with_a_file_inside_a_package(write: WriteFile, in_tmp: Path) -> None:
    write("project/__init__.py")
    write("project/site/__init__.py")
    write("project/site/server.py", APP)
    found = find_app("project/site/server.py")
    assert found.import_string == "project.site.server:app"
    assert found.app_dir == in_tmp.resolve()


def test_option_with_a_file_in_another_folder(write: WriteFile, in_tmp: Path) -> None:
    write("elsewhere/serve_me.py", APP)
    found = find_app("elsewhere/serve_me.py:app")
    assert found.import_string == "serve_me:app"
    assert found.app_dir == (in_tmp / "elsewhere").resolve()


def test_environment_variable(write: WriteFile, in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write("app.py", "raise RuntimeError('app.py must not be imported')")
    write("other.py", APP)
    monkeypatch.setenv("VIVACE_APP", "other:app")
    assert find_app().import_string == "other:app"


def test_option_wins_over_the_environment(
    write: WriteFile, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("other.py", APP)
    monkeypatch.setenv("VIVACE_APP", "missing:app")
    assert find_app("other").import_string == "other:app"


# Errors, through the command line --------------------------------------------------


def routes(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, ["routes", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_no_app_found(runner: CliRunner, in_tmp: Path) -> None:
    code, output = routes(runner)
    assert code == 1
    assert "no app found" in output
    assert "app.py, main.py, asgi.py" in output
    assert "--app" in output and "VIVACE_APP" in output


def test_module_that_does_not_exist(runner: CliRunner, in_tmp: Path) -> None:
    code, output = routes(runner, "--app", "nowhere.to.be:app")
    assert code == 1
    assert "cannot import 'nowhere.to.be' (from --app)" in output


def test_file_that_does_not_exist(runner: CliRunner, in_tmp: Path) -> None:
    code, output = routes(runner, "--app", "missing/app.py")
    assert code == 2
    assert "Invalid value for '--app'" in output
    assert "there is no Python file" in output


@pytest.mark.parametrize("target", ["not a module", "app:create_app()", ":app", "app:1x"])
def test_malformed_target(runner: CliRunner, write: WriteFile, in_tmp: Path, target: str) -> None:
    write("app.py", APP)
    code, output = routes(runner, "--app", target)
    assert code == 2
    assert "Invalid value for '--app'" in output


def test_empty_attribute_means_find_it(runner: CliRunner, write: WriteFile, in_tmp: Path) -> None:
    write("app.py", APP)
    assert routes(runner, "--app", "app:")[0] == 0


def test_malformed_environment_variable_is_named(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(cli, ["routes"], env={"VIVACE_APP": "bad name"})
    assert result.exit_code == 2
    assert "Invalid value for VIVACE_APP" in result.output


def test_missing_attribute(runner: CliRunner, write: WriteFile, in_tmp: Path) -> None:
    write("app.py", APP)
    code, output = routes(runner, "--app", "app:application")
    assert code == 1
    assert "module 'app' has no attribute 'application'" in output


def test_attribute_that_is_not_an_app(runner: CliRunner, write: WriteFile, in_tmp: Path) -> None:
    write("app.py", APP + "\nsettings = {}\n")
    code, output = routes(runner, "--app", "app:settings")
    assert code == 1
    assert "app:settings is a dict, not a vivace App" in output


def test_module_without_an_app(runner: CliRunner, write: WriteFile, in_tmp: Path) -> None:
    write("app.py", "app = 'not an app'\n")
    code, output = routes(runner)
    assert code == 1
    assert "has no vivace App; create one: app = App(__name__)" in output


def test_module_with_several_apps(runner: CliRunner, write: WriteFile, in_tmp: Path) -> None:
    write("app.py", "from vivace import App\npublic = App(__name__)\nadmin = App(__name__)\n")
    code, output = routes(runner)
    assert code == 1
    assert "several apps (admin, public)" in output
    assert "--app app:NAME" in output


def test_misconfigured_app(runner: CliRunner, write: WriteFile, in_tmp: Path) -> None:
    write("app.py", "from vivace import App\napp = App(__name__, max_body_sise=10)\n")
    code, output = routes(runner)
    assert code == 1
    assert "the app in 'app' is misconfigured" in output
    assert "did you mean 'max_body_size'" in output


def test_an_error_inside_the_app_is_not_hidden(runner: CliRunner, write: WriteFile, in_tmp: Path) -> None:
    write("app.py", "import a_dependency_that_is_not_installed\n")
    result = runner.invoke(cli, ["routes"])
    assert isinstance(result.exception, ModuleNotFoundError)
    assert result.exception.name == "a_dependency_that_is_not_installed"
