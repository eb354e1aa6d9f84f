"""The secret key: required in production, kept on disk in development, agreed by racing workers."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from vivace import App, ConfigError
from vivace.core.secret_key import FILE_NAME, development_key


def test_production_requires_an_explicit_key(tmp_path: Path) -> None:
    app = App("t", root=tmp_path)
    with pytest.raises(ConfigError, match="VIVACE_SECRET_KEY"):
        app.secret_key  # noqa: B018
    assert not (tmp_path / FILE_NAME).exists()


def test_short_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least 32"):
        App("t", root=tmp_path, secret_key="short").secret_key  # noqa: B018


def test_configured_key_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIVACE_SECRET_KEY", "k" * 40)
    assert App("t", root=tmp_path, debug=True).secret_key == "k" * 40


def test_development_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = App("t", root=tmp_path, debug=True).secret_key
    assert len(first) >= 32
    assert (tmp_path / FILE_NAME).read_text() == first
    assert App("t", root=tmp_path, debug=True).secret_key == first
    assert oct((tmp_path / FILE_NAME).stat().st_mode & 0o777) == "0o600"


def _worker(folder: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue.put(development_key(Path(folder)))


def test_workers_starting_together_agree(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_worker, args=(str(tmp_path), queue)) for _ in range(8)]
    for worker in workers:
        worker.start()
    keys = {queue.get(timeout=10) for _ in workers}
    for worker in workers:
        worker.join(10)
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == [FILE_NAME]
