"""The name and place lists: read whole, looked up by word, and invisible to the collector."""

from __future__ import annotations

import gc

import pytest

from nbsec.pii import lexicons


def test_the_lists_are_not_tracked_by_the_cyclic_collector() -> None:
    # a kernel keeps them for the whole session: a tracked container of 270,000 words would be
    # walked by every full collection of the kernel
    lists = {
        "first_names": lexicons.first_names(),
        "surnames": lexicons.surnames(),
        "places": lexicons.places(),
        "minor_places": lexicons.minor_places(),
        "territories": lexicons.territories(),
        "currencies": lexicons.currencies(),
    }
    for name, words in lists.items():
        assert len(words) > 10_000, name
        assert not gc.is_tracked(words), name
    assert lexicons.is_loaded()


def test_lookups_by_word() -> None:
    assert "maria" in lexicons.first_names()
    assert "garcia" in lexicons.surnames()
    assert lexicons.is_first_name("иван")  # a folded token, transliterated to "ivan"
    assert not lexicons.is_first_name("invoice")
    assert lexicons.full_name(["maria", "garcia"])
    assert lexicons.place_rank("Paris") == 2
    assert lexicons.place_rank("Qwertyville") == 0


@pytest.mark.parametrize(
    ("value", "is_place"),
    [
        ("DOTHAN, AL", True),
        ("Springfield, Illinois", True),
        # metropolitan areas join their towns and regions with hyphens
        ("Mount Vernon-Anacortes, WA", True),
        ("Minneapolis-St. Paul-Bloomington, MN-WI", True),
        ("Dallas-Fort Worth-Arlington, TX", True),
        # people: "Last, First", "Last, Title. First", initials
        ("Smith, JD", False),
        ("Smith-Jones, MJ", False),
        ("Braund, Mr. Owen Harris", False),
        ("Washington, George", False),
        # double surnames with initials, whose parts are also towns, stay names; a metropolitan
        # area needs state or province codes after the comma
        ("Garcia-Lopez, JM", False),
        ("Rodriguez-Ramos, AM", False),
        ("Torres-Silva, MCL", False),
        ("Santos-Diaz, LM", False),
        ("Lopez-Diaz, CA", False),
        ("Lopez, JM", False),
        ("Durham-Chapel Hill, NC", True),
        ("Ottawa-Gatineau, ON-QC", True),
        ("Kansas City, MO-KS", True),
    ],
)
def test_a_place_with_its_region_is_no_last_first_name(value: str, is_place: bool) -> None:
    assert lexicons.place_with_region(value) is is_place


@pytest.mark.parametrize(
    "value",
    [
        "Michael J. Shea and John F. Shea",
        "Roy Cockrum; Scott Comer; Eric Schoenberg",
        "S. James Otero; Frederick Mumm",
        "Maria Garcia, John Smith & Anna Kowalski",
    ],
)
def test_a_list_of_full_names_is_read_as_names(value: str) -> None:
    tokens = lexicons.parse_name_list(value)
    assert tokens is not None and len(tokens) >= 4


@pytest.mark.parametrize(
    "value",
    [
        "Pride and Prejudice",
        "Crime and Punishment",
        "Harry Potter and the Goblet of Fire",
        "Johnson & Johnson",
        "Procter & Gamble",
        "Barnes & Noble",
        "Marks and Spencer",
        "Minneapolis and St. Paul",
        "Los Angeles and San Francisco",
        "Dallas and Fort Worth",
        "Bosnia and Herzegovina",
        "District of Columbia and State of Maryland",
        "Maria Garcia",  # one name is no list
    ],
)
def test_titles_firms_and_places_are_no_list_of_names(value: str) -> None:
    assert lexicons.parse_name_list(value) is None


def test_patronymics_are_passed_over_in_a_full_name() -> None:
    for value in ("Иванов Иван Иванович", "Иван Иванович Иванов", "Петрова Анна Сергеевна"):
        parsed = lexicons.parse_name(value)
        assert parsed is not None
        tokens = parsed[0]
        assert lexicons.full_name(tokens), value
        assert lexicons.name_evidence(tokens) * 2 >= len(tokens), value
    assert lexicons.is_patronymic("Сергеевич") and lexicons.is_patronymic("Ivanovna")
    assert not lexicons.is_patronymic("Иванов")


def test_joined_initials_are_read_but_make_no_name_format() -> None:
    assert lexicons.parse_name("J.K. Long") == (["long"], False)
    assert lexicons.parse_name("U.S. Steel") == (["steel"], False)
    assert lexicons.parse_name("J. K. Long") == (["long"], True)
    assert lexicons.parse_name("U.S.") is None
