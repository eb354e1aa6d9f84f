"""``vivace.text.slugify``: ASCII slugs by default, Unicode ones on request, and what is left of odd input."""

from __future__ import annotations

import pytest

import vivace
from vivace.db.fields import validate_slug
from vivace.text import slugify


@pytest.mark.parametrize(
    ("value", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("  How to train your dragon  ", "how-to-train-your-dragon"),
        ("Crème brûlée à la française", "creme-brulee-a-la-francaise"),
        ("Ærøskøbing straße", "rskbing-strae"),
        ("snake_case and kebab-case", "snake_case-and-kebab-case"),
        ("many   spaces\tand\nlines", "many-spaces-and-lines"),
        ("--dashes-- at the --ends--", "dashes-at-the-ends"),
        ("C'est l'été", "cest-lete"),
        ("Version 2.0 (beta)", "version-20-beta"),
        (42, "42"),
    ],
)
def test_ascii_slugs(value: object, slug: str) -> None:
    assert slugify(value) == slug
    if slug:
        validate_slug(slug)


@pytest.mark.parametrize(
    ("value", "slug"),
    [
        ("東京 タワー", "東京-タワー"),
        ("Crème Brûlée", "crème-brûlée"),
        ("Привет, мир!", "привет-мир"),
        ("\uff46\uff55\uff4c\uff4c \uff57\uff49\uff44\uff54\uff48", "full-width"),
    ],
)
def test_unicode_slugs_keep_letters_of_every_script(value: str, slug: str) -> None:
    assert slugify(value, allow_unicode=True) == slug


@pytest.mark.parametrize("value", ["", "   ", "!!! ??? ...", "東京タワー", "---", "🙂"])
def test_nothing_left_gives_an_empty_slug(value: str) -> None:
    assert slugify(value) == ""


def test_max_length_cuts_between_words() -> None:
    assert slugify("the quick brown fox", max_length=12) == "the-quick"
    assert slugify("the quick brown fox", max_length=9) == "the-quick"
    assert slugify("supercalifragilistic word", max_length=5) == "super"
    assert slugify("short", max_length=50) == "short"


@pytest.mark.parametrize("bad", [0, -3, True])
def test_a_bad_max_length_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="max_length"):
        slugify("title", max_length=bad)


def test_slugify_is_exported_from_the_top_package() -> None:
    assert vivace.slugify is slugify
