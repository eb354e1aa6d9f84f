"""A one-file app using both routing styles, served for real by the e2e tests."""

from __future__ import annotations

from typing import Any

from vivace import App, Module, Request, WebSocket, include, path, render

app = App(__name__, allowed_hosts=["127.0.0.1", "localhost"], max_body_size=64 * 1024)

blog = Module("blog", __name__)
POSTS = {"hello-world": "Hello, world", "second": "A second post"}


@app.get("/")
async def index(request: Request) -> Any:
    return render(request, "index.html", posts=POSTS)


@app.get("/notes/<int:id>")
def note(request: Request, id: int) -> dict[str, Any]:
    return {"id": id, "url": app.url_for("note", id=id)}


@app.post("/echo")
async def echo(request: Request) -> Any:
    return await request.json()


@app.post("/upload")
async def upload(request: Request) -> Any:
    form = await request.form()
    return {"fields": len(form)}


@app.get("/articles/<slug:slug>")
def article(request: Request, slug: str) -> str:
    return f"article {slug}"


@app.get("/articles/feed")
def feed(request: Request) -> str:
    return "feed"


@blog.get("/")
def blog_index(request: Request) -> dict[str, Any]:
    return {"posts": [app.url_for("blog:detail", slug=slug) for slug in POSTS]}


@blog.get("/<slug:slug>/", name="detail")
def blog_detail(request: Request, slug: str) -> Any:
    if slug not in POSTS:
        return {"error": "no such post"}, 404
    return {"title": POSTS[slug]}


def about(request: Request) -> str:
    return "<p>about us</p>"


app.urls([path("about/", about, name="about"), path("blog/", include(blog))])


@app.websocket("/ws/<name>")
async def chat(websocket: WebSocket, name: str) -> None:
    await websocket.accept()
    async for message in websocket:
        if message == "close":
            await websocket.close(4000)
            return
        await websocket.send_text(f"{name}: {message}")
