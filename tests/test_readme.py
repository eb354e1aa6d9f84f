"""Every Python block of the README runs, in order, in a fresh process and folder."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), flags=re.S)


def test_the_readme_has_python_blocks() -> None:
    assert len(python_blocks()) >= 4


def test_every_python_block_runs(tmp_path: Path) -> None:
    # A separate process: the blocks declare models in the default registry.
    script = "\n".join(
        f"exec(compile({block!r}, 'README.md block {index}', 'exec'), {{'__name__': 'readme'}})"
        for index, block in enumerate(python_blocks(), 1)
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
