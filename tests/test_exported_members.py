"""The public surface of ``vivace``: a short sorted list, every name importable."""

from __future__ import annotations

import vivace


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert vivace.__all__ == sorted(vivace.__all__)
    for name in vivace.__all__:
        assert getattr(vivace, name) is not None, name


def test_the_exported_names() -> None:
    assert set(vivace.__all__) == {
        "App",
        "ConfigError",
        "Converter",
        "FileResponse",
        "HTMLResponse",
        "HTTPException",
        "JSONResponse",
        "Module",
        "PlainTextResponse",
        "RedirectResponse",
        "Request",
        "Response",
        "StreamingResponse",
        "WebSocket",
        "WebSocketDisconnect",
        "abort",
        "include",
        "path",
        "redirect",
        "render",
        "slugify",
    }
