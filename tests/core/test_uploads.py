"""Uploaded files: sanitized names, storage under generated names."""

import asyncio
from pathlib import Path

import pytest

from vivace.core.forms import FormLimits
from vivace.core.uploads import UploadFile, sanitize_filename

from .test_forms import MULTIPART, multipart, parse, part

# -- filenames ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("disposition", "raw", "clean"),
    [
        (b'filename="../../app.py"', "../../app.py", "app.py"),
        (b'filename="/etc/passwd"', "/etc/passwd", "passwd"),
        (b'filename="C:\\x\\..\\a"', "C:\\x\\..\\a", "a"),
        (b'filename="C:\\\\x\\\\..\\\\a"', "C:\\x\\..\\a", "a"),
        (b'filename="CON.txt"', "CON.txt", "CON.txt"),
        (b"filename*=UTF-8''..%2f..%2fx", "../../x", "x"),
        (b"filename=\"fallback\"; filename*=UTF-8''%E6%97%A5.txt", "日.txt", "日.txt"),
        (b"filename*=utf-8'en'a%00b%0A.txt", "a\x00b\n.txt", "ab.txt"),
        (b'filename=".."', "..", ""),
        (b'filename="dir/"', "dir/", ""),
        ('filename="résumé.pdf"'.encode(), "résumé.pdf", "résumé.pdf"),
        (b'filename="caf\xe9.txt"', "caf\ufffd.txt", "caf\ufffd.txt"),
    ],
)
def test_filenames_are_sanitized(disposition: bytes, raw: str, clean: str) -> None:
    body = multipart(part("f", b"data", disposition=b'form-data; name="f"; ' + disposition))
    with parse(MULTIPART, body) as form:
        upload = form["f"]
        assert isinstance(upload, UploadFile)
        assert upload.raw_filename == raw
        assert upload.filename == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\x00b.txt", "ab.txt"),
        ("evil\u202etxt.exe", "eviltxt.exe"),
        ("  spaced.txt  ", "spaced.txt"),
        ("D:file.txt", "file.txt"),
        ("\\\\server\\share\\f.txt", "f.txt"),
        (".", ""),
        ("", ""),
        (".htaccess", ".htaccess"),
        ("e\u0301.txt", "é.txt"),
    ],
)
def test_sanitize_filename(raw: str, clean: str) -> None:
    assert sanitize_filename(raw) == clean


def test_sanitize_filename_truncates_and_keeps_the_extension() -> None:
    assert sanitize_filename("a" * 1000 + ".jpeg") == "a" * 250 + ".jpeg"
    assert sanitize_filename("b" * 1000) == "b" * 255


def test_save_to_uses_a_generated_name(tmp_path: Path) -> None:
    body = multipart(part("f", b"payload", filename="../../CON.txt"))
    target_dir = tmp_path / "media" / "uploads"

    async def save(upload: UploadFile) -> tuple[Path, Path]:
        return await upload.save_to(target_dir), await upload.save_to(target_dir)

    with parse(MULTIPART, body) as form:
        upload = form["f"]
        assert isinstance(upload, UploadFile)
        first, second = asyncio.run(save(upload))
        assert upload.file.tell() == 0
    assert first != second
    for path in (first, second):
        assert path.parent == target_dir
        assert len(path.name) == 32 and all(c in "0123456789abcdef" for c in path.name)
        assert path.read_bytes() == b"payload"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted([first.name, second.name])


def test_save_to_copies_a_spooled_file(tmp_path: Path) -> None:
    content = b"z" * 5000
    with parse(MULTIPART, multipart(part("f", content, filename="f")), FormLimits(spool_size=10)) as form:
        upload = form["f"]
        assert isinstance(upload, UploadFile) and not upload.in_memory
        path = asyncio.run(upload.save_to(tmp_path))
    assert path.read_bytes() == content


def test_upload_file_alone() -> None:
    async def scenario() -> None:
        upload = UploadFile("../x.csv", content_type="text/csv", spool_size=4)
        await upload.write(b"ab")
        assert upload.in_memory
        await upload.write(b"cdef")
        assert not upload.in_memory
        await upload.seek(0)
        assert await upload.read() == b"abcdef"
        assert upload.size == 6
        assert repr(upload) == "UploadFile(filename='x.csv', content_type='text/csv', size=6)"
        await upload.close()
        assert upload.file.closed

    asyncio.run(scenario())
