"""Fixtures for the ``vivace`` command: a clean runner, isolated imports, app files."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

WriteFile = Callable[..., Path]


@pytest.fixture
def runner() -> CliRunner:
    """A runner whose invocations leave ``VIVACE_APP`` and ``VIVACE_DEBUG`` as they found them."""
    return CliRunner(env={"VIVACE_APP": None, "VIVACE_DEBUG": None})


@pytest.fixture(autouse=True)
def isolated_imports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Forget the modules that a test imported from its temporary folders (each has its own app.py)."""
    path = list(sys.path)
    base = str(tmp_path_factory.getbasetemp())
    yield
    sys.path[:] = path
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(base):
            del sys.modules[name]


@pytest.fixture
def write(tmp_path: Path) -> WriteFile:
    """``write("app.py", source)``: a dedented file below ``tmp_path``."""

    def write_file(relative: str, source: str = "") -> Path:
        file = tmp_path / relative
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(textwrap.dedent(source), "utf-8")
        return file

    return write_file


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path
