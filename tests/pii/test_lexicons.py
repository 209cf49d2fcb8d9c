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
