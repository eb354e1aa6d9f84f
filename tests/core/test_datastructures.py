"""Headers, MutableHeaders, MultiDict and QueryParams."""

from __future__ import annotations

import pytest

from vivace.core.datastructures import Headers, MultiDict, MutableHeaders, QueryParams

RAW = [
    (b"host", b"example.com"),
    (b"accept", b"text/html"),
    (b"x-tag", b"a"),
    (b"x-tag", b"b"),
    (b"x-latin", "caf\u00e9".encode("latin-1")),
]


# Headers ----------------------------------------------------------------------------------------


def test_headers_are_case_insensitive() -> None:
    headers = Headers(list(RAW))
    assert headers["Host"] == headers["HOST"] == headers["host"] == "example.com"
    assert "ACCEPT" in headers
    assert headers.get("Accept") == "text/html"
    assert headers.get("missing") is None
    assert headers.get("missing", "default") == "default"
    with pytest.raises(KeyError):
        headers["missing"]


def test_headers_keep_every_value() -> None:
    headers = Headers(list(RAW))
    assert headers["x-tag"] == "a"  # the first one
    assert headers.getlist("X-Tag") == ["a", "b"]
    assert headers.getlist("missing") == []
    assert list(headers) == ["host", "accept", "x-tag", "x-latin"]
    assert len(headers) == 4
    assert headers.items()[2:4] == [("x-tag", "a"), ("x-tag", "b")]


def test_headers_decode_latin1() -> None:
    assert Headers(list(RAW))["x-latin"] == "caf\u00e9"


def test_headers_contains_only_strings() -> None:
    headers = Headers(list(RAW))
    assert 1 not in headers  # type: ignore[comparison-overlap]
    assert b"host" not in headers  # type: ignore[comparison-overlap]


def test_headers_from_a_mapping_and_empty() -> None:
    headers = Headers({"Content-Type": "text/plain"})
    assert headers.raw == [(b"content-type", b"text/plain")]
    assert Headers().raw == []
    assert len(Headers()) == 0
    assert repr(headers) == "Headers([('content-type', 'text/plain')])"


def test_headers_equal_as_mappings() -> None:
    assert Headers({"a": "1"}) == {"a": "1"}
    assert Headers([(b"a", b"1")]) == Headers({"A": "1"})


# MutableHeaders ---------------------------------------------------------------------------------


def test_set_replaces_every_value_and_add_appends() -> None:
    headers = MutableHeaders([])
    headers.add("Vary", "Cookie")
    headers.add("vary", "Accept")
    assert headers.getlist("vary") == ["Cookie", "Accept"]
    headers["VARY"] = "Origin"
    assert headers.getlist("vary") == ["Origin"]
    assert headers.raw == [(b"vary", b"Origin")]


def test_setdefault_delete_pop_update() -> None:
    headers = MutableHeaders([(b"a", b"1")])
    assert headers.setdefault("A", "2") == "1"
    assert headers.setdefault("b", "2") == "2"
    assert headers["b"] == "2"
    del headers["B"]
    assert "b" not in headers
    del headers["never-there"]
    assert headers.pop("a") == "1"
    assert headers.pop("a") is None
    assert headers.pop("a", "gone") == "gone"
    headers.update({"x": "1", "y": "2"})
    headers.update([("x", "3")])
    assert headers.items() == [("y", "2"), ("x", "3")]


@pytest.mark.parametrize(
    "value",
    ["a\rb", "a\nb", "a\r\nSet-Cookie: x=1", "a\x00b", "\x01", "a\x1bb", "a\x7f", "\x0b", "\x0c"],
)
def test_values_with_control_characters_are_refused(value: str) -> None:
    headers = MutableHeaders([])
    with pytest.raises(ValueError, match="refusing to split the response"):
        headers["x-value"] = value
    with pytest.raises(ValueError):
        headers.add("x-value", value)
    with pytest.raises(ValueError):
        headers.setdefault("x-value", value)
    with pytest.raises(ValueError):
        headers.update({"x-value": value})
    assert headers.raw == []


@pytest.mark.parametrize("value", ["", "a\tb", "caf\u00e9", "a b", '"quoted"; x=1, y', "~!@#$%^&*()"])
def test_ordinary_values_are_kept(value: str) -> None:
    headers = MutableHeaders([])
    headers["x-value"] = value
    assert headers["x-value"] == value


@pytest.mark.parametrize(
    "name", ["", "a b", "a:b", "a\r\nb", "a\x00", "a\tb", "(x)", "x/y", "caf\u00e9", "a\nSet-Cookie"]
)
def test_invalid_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="invalid header name"):
        MutableHeaders([])[name] = "v"


def test_token_names_are_accepted_and_lowered() -> None:
    headers = MutableHeaders([])
    headers["X-Custom_Name.1!#$%&'*+^`|~"] = "v"
    assert headers.raw == [(b"x-custom_name.1!#$%&'*+^`|~", b"v")]


def test_non_latin1_values_are_refused() -> None:
    with pytest.raises(ValueError):
        MutableHeaders([])["x"] = "\u2713"


# MultiDict and QueryParams ----------------------------------------------------------------------


def test_multidict_keeps_every_value_and_answers_the_last() -> None:
    data = MultiDict([("a", 1), ("b", 2), ("a", 3)])
    assert data["a"] == 3
    assert data.getlist("a") == [1, 3]
    assert data.getlist("zzz") == []
    assert list(data) == ["a", "b"]
    assert len(data) == 2
    assert data.multi_items() == [("a", 1), ("b", 2), ("a", 3)]
    assert data == MultiDict([("a", 3), ("a", 1), ("b", 2)])
    assert data != MultiDict([("a", 3), ("b", 2)])
    assert MultiDict([("a", 1)]) == {"a": 1}
    assert repr(MultiDict([("a", 1)])) == "MultiDict([('a', 1)])"
    with pytest.raises(TypeError):
        hash(data)


def test_query_params_multi_values_and_blanks() -> None:
    params = QueryParams("a=1&b=&a=2&c&d=x+y&e=%E2%9C%93&f=%2B")
    assert params.getlist("a") == ["1", "2"]
    assert params["a"] == "2"
    assert params["b"] == ""
    assert params["c"] == ""
    assert params["d"] == "x y"
    assert params["e"] == "\u2713"
    assert params["f"] == "+"
    assert "zzz" not in params


def test_query_params_from_bytes_and_pairs() -> None:
    assert QueryParams(b"a=1&a=2").getlist("a") == ["1", "2"]
    assert QueryParams([("a", "1")])["a"] == "1"
    assert len(QueryParams("")) == 0
    assert len(QueryParams()) == 0


def test_query_params_split_on_ampersand_only() -> None:
    params = QueryParams("a=1;b=2")
    assert params["a"] == "1;b=2"
    assert "b" not in params


def test_query_params_tolerate_bad_escapes() -> None:
    params = QueryParams("a=%ZZ&b=%ff&c=%")
    assert params["a"] == "%ZZ"
    assert params["b"] == "\ufffd"
    assert params["c"] == "%"


def test_many_query_params_are_parsed_without_a_limit() -> None:
    params = QueryParams("&".join(f"k{i}=v" for i in range(5000)))
    assert len(params) == 5000
