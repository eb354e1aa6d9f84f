"""A user model of the app's own (``user_model`` setting), run in a fresh interpreter.

Its table joins the default registry for good, so the test runs in a process of its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import CHEAP, PASSWORD, SECRET

SCRIPT = f"""
import sys
from vivace import App, Request
from vivace.auth import AbstractUser, login_required
from vivace.db import fields
from vivace.testing import TestClient

class Account(AbstractUser):
    nickname = fields.String(50, default="")

    class Meta:
        label = "accounts"

app = App("custom", root=sys.argv[1], secret_key={SECRET!r}, user_model="accounts.Account", **{CHEAP!r})

@app.get("/me")
@login_required
async def me(request: Request) -> dict[str, str]:
    return {{"type": type(request.user).__name__, "nickname": request.user.nickname}}

app.db.create_all()
app.auth.create_user("alice", {PASSWORD!r}, nickname="Al")
with TestClient(app) as client:
    page = client.get("/auth/login/").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    form = {{"username": "alice", "password": {PASSWORD!r}, "csrf_token": token}}
    assert client.post("/auth/login/", data=form).status_code == 303
    print(client.get("/me").json())
    alice = Account.objects.get(username="alice")
    from vivace.auth import Group, Permission
    group = Group.objects.create(name="g")
    group.permissions.add(Permission.objects.get(label="accounts", codename="change_account"))
    alice.groups.add(group)
    print(alice.has_perm("accounts.change_account"), alice.has_perm("auth.change_user"))
"""


def test_a_user_model_of_the_apps_own(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["{'type': 'Account', 'nickname': 'Al'}", "True False"]
