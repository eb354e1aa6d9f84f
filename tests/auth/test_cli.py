"""``vivace createsuperuser``, ``vivace changepassword`` and ``vivace check --deploy``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from vivace.cli import cli
from vivace.db import default_registry

from .conftest import CHEAP, SECRET

APP = """
from vivace import App
from vivace.auth import login_required

app = App(__name__)


@app.get("/")
@login_required
def index(request):
    return "members only"
"""

HARDENED = {
    "VIVACE_SECRET_KEY": "x8Kq2vLm9ZpR4tWn7YbC1dFg5HjK3sQe6UaI0oP-" * 2,
    "VIVACE_ALLOWED_HOSTS": "www.example.com",
    "VIVACE_SECURE_COOKIES": "1",
    "VIVACE_MAIL_URL": "smtp://mailer:secret@smtp.example.com:587",
    "VIVACE_HSTS_SECONDS": "31536000",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VIVACE_SECRET_KEY", SECRET)
    for key, value in CHEAP.items():
        monkeypatch.setenv(f"VIVACE_{key.upper()}", str(value))
    monkeypatch.delitem(__import__("sys").modules, "app", raising=False)
    yield tmp_path
    default_registry.database = None


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)
    return result.exit_code, result.output


def users(project: Path) -> list[tuple[str, bool, bool, str]]:
    import sqlite3

    with sqlite3.connect(project / "db.sqlite3") as connection:
        rows = connection.execute(
            "select username, is_staff, is_superuser, password from auth_user"
        ).fetchall()
    return [(name, bool(staff), bool(superuser), password) for name, staff, superuser, password in rows]


def migrate(project: Path) -> None:
    code, output = run("migrate")
    assert code == 0, output


def test_createsuperuser_without_input_reads_the_environment(project: Path) -> None:
    migrate(project)
    code, output = run(
        "createsuperuser",
        "--no-input",
        env={
            "VIVACE_SUPERUSER_USERNAME": "root",
            "VIVACE_SUPERUSER_PASSWORD": "correct horse battery staple",
        },
    )
    assert code == 0, output
    assert "Superuser 'root' created." in output
    ((name, staff, superuser, password),) = users(project)
    assert (name, staff, superuser) == ("root", True, True)
    assert password.startswith("$argon2id$")


def test_createsuperuser_asks_and_applies_the_password_rules(project: Path) -> None:
    migrate(project)
    answers = (
        "admin\nadmin@example.com\npassword\npassword\nsomething long and rare\nsomething long and rare\n"
    )
    code, output = run("createsuperuser", input=answers)
    assert code == 0, output
    assert "This password is too common." in output
    assert [u[0] for u in users(project)] == ["admin"]
    code, output = run(
        "createsuperuser",
        "--no-input",
        env={"VIVACE_SUPERUSER_USERNAME": "admin", "VIVACE_SUPERUSER_PASSWORD": "another long phrase"},
    )
    assert code == 1 and "exists already" in output


def test_changepassword(project: Path) -> None:
    migrate(project)
    run(
        "createsuperuser",
        "--no-input",
        env={
            "VIVACE_SUPERUSER_USERNAME": "root",
            "VIVACE_SUPERUSER_PASSWORD": "correct horse battery staple",
        },
    )
    before = users(project)[0][3]
    code, output = run(
        "changepassword",
        "root",
        input="12345678901\n12345678901\nfresh long passphrase\nfresh long passphrase\n",
    )
    assert code == 0, output
    assert "entirely numeric" in output
    assert users(project)[0][3] != before
    code, output = run("changepassword", "nobody", input="x\nx\n")
    assert code == 1 and "no user is named 'nobody'" in output


def test_check_deploy_flags_a_default_configuration(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIVACE_SECRET_KEY")
    monkeypatch.setenv("VIVACE_DEBUG", "1")
    code, output = run("check", "--deploy")
    assert code == 1
    for finding in ("V101", "V102", "V105", "V106", "V107", "V108", "V201"):
        assert finding in output, finding
    assert "fix:" in output


def test_check_deploy_passes_a_hardened_configuration(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in CHEAP:
        monkeypatch.delenv(f"VIVACE_{key.upper()}")
    code, output = run("check", "--deploy", env=HARDENED)
    assert code == 0, output
    assert "0 error(s), 0 warning(s)" in output


def test_check_without_deploy(project: Path) -> None:
    code, output = run("check")
    assert code == 0 and "no problems found" in output
