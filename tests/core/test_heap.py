"""gc_freeze: the start-up heap leaves the garbage collector's full passes, once per process.

Freezing is once per process, and this test process has started apps already,
so each case runs in a fresh interpreter of its own.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vivace.core.config import load_settings
from vivace.core.exceptions import ConfigError

PRELUDE = """
import asyncio, gc, json, sys
from vivace import App

def start(app):
    asyncio.run(app.startup())

def frozen():
    return gc.get_freeze_count()
"""


def run(tmp_path: Path, body: str) -> str:
    script = tmp_path / "script.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_first_start_up_freezes_what_is_alive(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        """
        app = App("demo")
        routes = [object() for _ in range(50)]  # alive at start-up: frozen with the rest

        def scanned():  # the collector's generations hold it; the frozen one is not listed
            return any(o is routes for o in gc.get_objects())

        before = (frozen(), scanned())
        start(app)
        print(before, frozen() > 1000, scanned())
        """,
    )
    assert out == "(0, True) True False"


def test_objects_made_after_start_up_are_collected_as_usual(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        """
        import weakref
        start(App("demo"))

        class Node:
            pass

        node = Node()
        node.me = node  # a cycle only the collector frees
        gone = weakref.ref(node)
        del node
        gc.collect()
        print(gone() is None)
        """,
    )
    assert out == "True"


def test_only_the_first_start_up_of_a_process_freezes(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        """
        start(App("first"))
        after_first = frozen()
        later = [[i] for i in range(5000)]  # made between the two starts
        start(App("second"))
        print(after_first > 1000, frozen() == after_first)
        """,
    )
    assert out == "True True"


def test_gc_freeze_false_leaves_the_heap_to_the_collector(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        """
        start(App("demo", gc_freeze=False))
        print(frozen())
        """,
    )
    assert out == "0"


def test_the_environment_can_turn_it_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIVACE_GC_FREEZE", "false")
    out = run(tmp_path, "start(App('demo'))\nprint(frozen())\n")
    assert out == "0"


def test_a_failed_start_up_freezes_nothing(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        """
        app = App("demo")

        @app.on_startup
        def broken():
            raise RuntimeError("no database")

        try:
            start(app)
        except RuntimeError:
            pass
        failed = frozen()
        start(App("fixed"))  # the freeze was not used up by the failed start
        print(failed, frozen() > 1000)
        """,
    )
    assert out == "0 True"


def test_a_bad_value_names_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIVACE_GC_FREEZE", "sometimes")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, {})
    assert "setting gc_freeze = 'sometimes' (from VIVACE_GC_FREEZE)" in str(info.value)
    assert "allowed: true or false" in str(info.value)
