"""``user_model="User"``: a bare name is a model of the app's own module, however the module is loaded.

Each case runs in a fresh interpreter (its table joins the default registry for good).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CHEAP, SECRET

APP = f"""
from vivace import App
from vivace.auth import AbstractUser
from vivace.db import fields

app = App(__name__, secret_key={SECRET!r}, user_model="User", **{CHEAP!r})


class User(AbstractUser):
    bio = fields.Text(default="", blank=True)


if __name__ == "__main__":
    import sys
    sys.path.insert(0, ".")
    app.db.create_all()
    made = app.auth.create_user("ann", "a long password", email="Ann@Example.com", bio="hi")
    print(type(made).__name__, made._meta.label, made.email, made.bio)
"""

RUN_IMPORTED = """
import importlib, sys
app = importlib.import_module(sys.argv[1]).app
app.db.create_all()
made = app.auth.create_user("ann", "a long password", bio="hi")
print(type(made).__name__, made._meta.label, made.bio)
"""


def run(args: list[str], folder: Path) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), *sys.path])}
    done = subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_script_finds_its_user_model_by_name(tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text(APP)
    assert run([sys.executable, "shop.py"], tmp_path) == "User shop.User ann@example.com hi"


@pytest.mark.parametrize("module", ["shop", "store.shop"])
def test_an_imported_module_finds_it_too(tmp_path: Path, module: str) -> None:
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "__init__.py").write_text("")
    target = tmp_path / (module.replace(".", "/") + ".py")
    target.write_text(APP)
    assert run([sys.executable, "-c", RUN_IMPORTED, module], tmp_path) == "User shop.User hi"


def test_an_unknown_name_says_which_label_it_tried(tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text(APP.replace('user_model="User"', 'user_model="Customer"'))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    done = subprocess.run(
        [sys.executable, "shop.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode != 0
    assert "setting user_model = 'shop.Customer'" in done.stderr
    assert "no model 'shop.Customer'" in done.stderr


PLAIN_EMAIL = f"""
import sys
from vivace import App
from vivace.auth import AbstractUser
from vivace.db import ValidationError, fields

app = App(__name__, secret_key={SECRET!r}, user_model="Member", unique_email=sys.argv[1] == "on", **{CHEAP!r})


class Member(AbstractUser):
    email = fields.Email(blank=True, default="")  # shared addresses allowed by the table


app.db.create_all()
app.auth.create_user("ann", None, email="ann@example.com")
try:
    app.auth.create_user("bob", None, email="ANN@example.com")
except ValidationError as exc:
    print("refused", exc.errors)
else:
    print("made", Member.objects.filter(email__iexact="ann@example.com").count())
"""


@pytest.mark.parametrize(
    ("setting", "said"), [("on", "refused {'email': ['A user with this e-mail address"), ("off", "made 2")]
)
def test_a_plain_email_field_is_ruled_by_the_setting(tmp_path: Path, setting: str, said: str) -> None:
    (tmp_path / "club.py").write_text(PLAIN_EMAIL)
    assert run([sys.executable, "club.py", setting], tmp_path).startswith(said)
