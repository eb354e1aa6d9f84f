"""Path converters on their own: what each accepts, refuses and builds."""

from __future__ import annotations

import contextlib
import pickle
import time
import uuid
from typing import Any

import pytest

from vivace.core.routing.converters import (
    DEFAULT_CONVERTERS,
    Converter,
    FloatConverter,
    IntConverter,
    PathConverter,
    SlugConverter,
    StrConverter,
    UUIDConverter,
)

SAMPLE_UUID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"


def test_default_converters_are_the_documented_six() -> None:
    assert set(DEFAULT_CONVERTERS) == {"str", "int", "float", "slug", "uuid", "path"}
    assert all(issubclass(c, Converter) for c in DEFAULT_CONVERTERS.values())
    assert [n for n, c in DEFAULT_CONVERTERS.items() if c.matches_slashes] == ["path"]


@pytest.mark.parametrize(
    ("converter", "openapi_type"),
    [
        (StrConverter, "string"),
        (IntConverter, "integer"),
        (FloatConverter, "number"),
        (SlugConverter, "string"),
        (UUIDConverter, "string"),
        (PathConverter, "string"),
    ],
)
def test_openapi_types(converter: type[Converter], openapi_type: str) -> None:
    assert converter.openapi_type == openapi_type


@pytest.mark.parametrize("value", ["a", "hello world", "..", "é", "a.b-c_d~"])
def test_str_takes_any_non_empty_segment(value: str) -> None:
    assert StrConverter().to_python(value) == value


def test_str_refuses_the_empty_segment() -> None:
    with pytest.raises(ValueError):
        StrConverter().to_python("")


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("42", 42), ("007", 7), ("9" * 18, int("9" * 18))])
def test_int_accepts_ascii_digits(value: str, expected: int) -> None:
    assert IntConverter().to_python(value) == expected


@pytest.mark.parametrize(
    "value",
    ["", "-1", "+1", "1.5", "1e3", " 1", "1 ", "1_000", "0x10", "²", "\u0661\u0662", "9" * 19, "abc"],
)
def test_int_refuses_everything_else(value: str) -> None:
    with pytest.raises(ValueError):
        IntConverter().to_python(value)


@pytest.mark.parametrize(
    ("value", "expected"), [("1.5", 1.5), ("1", 1.0), (".5", 0.5), ("1.", 1.0), ("0.0", 0.0)]
)
def test_float_accepts_plain_decimals(value: str, expected: float) -> None:
    assert FloatConverter().to_python(value) == expected


@pytest.mark.parametrize(
    "value", ["", ".", "1.2.3", "-1.5", "+1", "1e5", "nan", "inf", "Infinity", "1_0", "1" * 41, " 1"]
)
def test_float_refuses_signs_exponents_and_non_finite(value: str) -> None:
    with pytest.raises(ValueError):
        FloatConverter().to_python(value)


@pytest.mark.parametrize("value", ["hello", "hello-world", "a_b", "ABC123", "-", "_"])
def test_slug_accepts_ascii_letters_digits_hyphen_underscore(value: str) -> None:
    assert SlugConverter().to_python(value) == value


@pytest.mark.parametrize("value", ["", "a b", "a.b", "..", "caf\u00e9", "a%2f", "a\x00", "a/b", "a+b"])
def test_slug_refuses_other_characters(value: str) -> None:
    with pytest.raises(ValueError):
        SlugConverter().to_python(value)


def test_uuid_accepts_the_canonical_form_in_either_case() -> None:
    converter = UUIDConverter()
    assert converter.to_python(SAMPLE_UUID) == uuid.UUID(SAMPLE_UUID)
    assert converter.to_python(SAMPLE_UUID.upper()) == uuid.UUID(SAMPLE_UUID)


def test_uuid_value_is_a_whole_uuid() -> None:
    found = UUIDConverter().to_python(SAMPLE_UUID)
    expected = uuid.UUID(SAMPLE_UUID)
    assert type(found) is uuid.UUID
    assert (str(found), hash(found), found.version, found.is_safe) == (
        SAMPLE_UUID,
        hash(expected),
        expected.version,
        expected.is_safe,
    )
    assert pickle.loads(pickle.dumps(found)) == expected
    assert {found: 1}[expected] == 1
    with pytest.raises(TypeError):
        found.int = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    "value",
    [
        "",
        SAMPLE_UUID.replace("-", ""),  # 32 hex digits, no hyphens
        "{" + SAMPLE_UUID[:34] + "}",
        "urn:" + SAMPLE_UUID.replace("-", ""),  # 36 characters that uuid.UUID accepts
        "----" + SAMPLE_UUID.replace("-", ""),  # hyphens moved to the front
        SAMPLE_UUID[:8] + "_" + SAMPLE_UUID[9:],  # int() would take the underscore
        "+" + SAMPLE_UUID[1:],
        " " + SAMPLE_UUID[1:],
        "0x" + SAMPLE_UUID[2:],
        "0X" + SAMPLE_UUID[2:],
        "\u0661" + SAMPLE_UUID[1:],  # int() takes other scripts' digits
        SAMPLE_UUID[:9] + "-" + SAMPLE_UUID[10:],
        SAMPLE_UUID[:-1] + "g",
        SAMPLE_UUID + "0",
    ],
)
def test_uuid_refuses_non_canonical_forms(value: str) -> None:
    with pytest.raises(ValueError):
        UUIDConverter().to_python(value)


def test_path_takes_slashes_but_not_nothing() -> None:
    converter = PathConverter()
    assert converter.matches_slashes
    assert converter.to_python("a/b/c.txt") == "a/b/c.txt"
    with pytest.raises(ValueError):
        converter.to_python("")


@pytest.mark.parametrize(
    ("converter", "value", "text"),
    [
        (StrConverter(), "x", "x"),
        (IntConverter(), 5, "5"),
        (IntConverter(), 0, "0"),
        (FloatConverter(), 1.5, "1.5"),
        (UUIDConverter(), uuid.UUID(SAMPLE_UUID), SAMPLE_UUID),
        (PathConverter(), "a/b", "a/b"),
    ],
)
def test_to_url(converter: Converter, value: Any, text: str) -> None:
    assert converter.to_url(value) == text


@pytest.mark.parametrize("value", [-1, True, "5", 1.0, None])
def test_int_to_url_wants_a_non_negative_int(value: Any) -> None:
    with pytest.raises(ValueError):
        IntConverter().to_url(value)


@pytest.mark.parametrize("converter", [c() for c in DEFAULT_CONVERTERS.values()])
@pytest.mark.parametrize("segment", ["a" * 100_000, "1" * 100_000, "-" * 100_000, "a/" * 50_000])
def test_a_100_kb_segment_is_answered_fast(converter: Converter, segment: str) -> None:
    start = time.perf_counter()
    with contextlib.suppress(ValueError):
        converter.to_python(segment)
    assert time.perf_counter() - start < 0.05
