"""``vivace routes``: the table of every route."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from vivace.cli import cli

from .conftest import WriteFile

APP = """
from vivace import App, Module, include, path

app = App(__name__)
blog = Module("blog", __name__)


@app.get("/")
def index():
    return "home"


@app.route("/items/<int:id>", methods=["GET", "PUT", "DELETE"], name="item")
def item(id: int):
    return {"id": id}


@app.websocket("/live")
async def live(socket):
    await socket.accept()


@blog.post("/posts")
def create_post():
    return "ok"


class Views:
    @staticmethod
    def about():
        return "about"


app.register(blog, prefix="/blog")
app.urls([path("about/", Views.about, name="about"), path("docs/", include([path("", index)]))])
"""


def test_table_sorted_by_path(runner: CliRunner, write: WriteFile, in_tmp: Path) -> None:
    write("app.py", APP)
    result = runner.invoke(cli, ["routes"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["Methods", "Path", "Name", "Handler"]
    assert set(lines[1]) == {"-", " "}
    assert [line.split() for line in lines[2:]] == [
        ["GET", "/", "index", "app.index"],
        ["GET", "/about/", "about", "app.Views.about"],
        ["POST", "/blog/posts", "blog:create_post", "app.create_post"],
        ["GET", "/docs/", "app.index"],
        ["GET,PUT,DELETE", "/items/<int:id>", "item", "app.item"],
        ["WEBSOCKET", "/live", "live", "app.live"],
    ]


def test_columns_line_up(runner: CliRunner, write: WriteFile, in_tmp: Path) -> None:
    write("app.py", APP)
    lines = runner.invoke(cli, ["routes"]).output.splitlines()
    path_column = lines[0].index("Path")
    assert all(line[path_column] == "/" for line in lines[2:])
    assert all(line[path_column - 1] == " " for line in lines[2:])


def test_app_without_routes(runner: CliRunner, write: WriteFile, in_tmp: Path) -> None:
    write("app.py", "from vivace import App\napp = App(__name__)\n")
    result = runner.invoke(cli, ["routes"])
    assert result.exit_code == 0
    assert result.output == "app:app has no routes yet.\n"


def test_the_demo(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["routes", "--app", "vivace.demo.app"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[1]: line.split() for line in result.output.splitlines()[2:]}
    assert rows["/notes/<slug:slug>/"][2:] == ["notes:detail", "vivace.demo.notes.note_detail"]
    assert rows["/sign"][0] == "POST"
    assert rows["/static/<path:filename>"][2] == "static"
