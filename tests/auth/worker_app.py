"""The app that test_workers.py serves from two uvicorn worker processes (settings from VIVACE_*)."""

from __future__ import annotations

import os
from typing import Any

from vivace import App, Request
from vivace.auth import login_required

app = App("worker", root=os.environ["WORKER_ROOT"])


@app.get("/")
async def index(request: Request) -> dict[str, int]:
    return {"pid": os.getpid()}


@app.get("/me")
@login_required
async def me(request: Request) -> dict[str, Any]:
    return {"user": request.user.username, "pid": os.getpid()}
