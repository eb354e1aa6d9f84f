"""``vivace new``: the scaffold, its own tests, and the refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from vivace.cli import cli

EXPECTED = {
    ".gitignore",
    "README.md",
    "app.py",
    "conftest.py",
    "pages/__init__.py",
    "pages/templates/pages/hello.html",
    "pages/templates/pages/home.html",
    "pyproject.toml",
    "static/style.css",
    "templates/about.html",
    "templates/base.html",
    "tests/test_app.py",
    "vivace.toml",
}


def files_in(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def clean_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("VIVACE_", "PYTEST_"))}


def test_generated_project_passes_its_own_tests(runner: CliRunner, tmp_path: Path) -> None:
    project = tmp_path / "mysite"
    result = runner.invoke(cli, ["new", "mysite", "--dir", str(project)])
    assert result.exit_code == 0, result.output
    assert "cd " in result.output and "vivace run" in result.output
    assert files_in(project) == EXPECTED
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "5 passed" in tests.stdout


def test_contents(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(cli, ["new", "my-site"]).exit_code == 0
    project = tmp_path / "my-site"
    ignored = (project / ".gitignore").read_text().splitlines()
    assert ".vivace-secret" in ignored and "*.sqlite3" in ignored
    readme = (project / "README.md").read_text()
    assert readme.startswith("# my-site\n")
    assert "$ vivace run" in readme and "$ python -m pytest" in readme
    app = (project / "app.py").read_text()
    assert "app = App(__name__)" in app and "app.register(pages)" in app
    assert 'Module("pages", __name__)' in (project / "pages/__init__.py").read_text()
    assert '{% extends "base.html" %}' in (project / "pages/templates/pages/home.html").read_text()
    assert (
        "<title>{% block title %}my-site{% endblock %}</title>"
        in (project / "templates/base.html").read_text()
    )
    assert "def test_" in (project / "tests/test_app.py").read_text()


def test_routes_of_the_generated_project(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(cli, ["new", "site", "--dir", str(tmp_path / "site")]).exit_code == 0
    monkeypatch.chdir(tmp_path / "site")
    result = runner.invoke(cli, ["routes"])
    assert result.exit_code == 0, result.output
    paths = [line.split()[1] for line in result.output.splitlines()[2:]]
    assert paths == ["/", "/about", "/hello/<name>", "/static/<path:filename>"]


def test_into_an_empty_existing_folder(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = runner.invoke(cli, ["new", "site", "--dir", str(tmp_path / "empty")])
    assert result.exit_code == 0, result.output
    assert files_in(tmp_path / "empty") == EXPECTED


def test_refuses_a_folder_that_is_not_empty(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "app.py").write_text("mine")
    result = runner.invoke(cli, ["new", "site"])
    assert result.exit_code == 1
    assert "site is not empty; vivace new never overwrites files" in result.output
    assert files_in(tmp_path / "site") == {"app.py"}
    assert (tmp_path / "site" / "app.py").read_text() == "mine"


def test_refuses_a_file(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "site").write_text("a file")
    result = runner.invoke(cli, ["new", "site"])
    assert result.exit_code == 1
    assert "exists and is not a folder" in result.output


@pytest.mark.parametrize(
    "name", ["9lives", "my site", "", "../escape", "a/b", "-x", "x" * 65, "café", "vivace"]
)
def test_refuses_a_bad_name(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["new", "--", name])
    assert result.exit_code == 2
    assert "Invalid value for 'NAME'" in result.output
    assert list(tmp_path.iterdir()) == []
