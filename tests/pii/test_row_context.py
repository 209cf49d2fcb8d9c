# ruff: noqa: RUF001 - the Turkish dotless i is meant
"""Personal, not merely proper nouns: what a table's rows describe decides, and prose keeps
names of things apart from people's names."""

from __future__ import annotations

import pandas as pd
import pytest

from nbsec.pii import lexicons, scan_dataframe, scan_table, scan_text
from nbsec.policy import Policy

HOSPITALS = [
    "Southeast Alabama Medical Center", "Marshall Medical Center South", "Eliza Coffee Memorial "
    "Hospital", "Crestwood Medical Center", "Hillcrest Medical Center", "St Vincent's East",
    "Shelby Baptist Medical Center", "Callahan Eye Hospital", "Baptist Medical Center South",
    "Jackson Hospital & Clinic Inc", "Huntsville Hospital", "Mobile Infirmary Medical Center",
    "Providence Hospital", "Gadsden Regional Medical Center", "Medical Center Enterprise",
    "Dekalb Regional Medical Center", "Princeton Baptist Medical Center", "Madison Hospital",
    "Flowers Hospital", "University Of Alabama Hospital",
]  # fmt: skip
STREETS = [f"{100 + 7 * i} {s} Street" for i, s in enumerate(["Main", "Oak", "Pine", "Elm"] * 5)]
CITIES = ["Dothan", "Boaz", "Florence", "Birmingham", "Huntsville"] * 4
PEOPLE = [
    "Maria Garcia", "John Smith", "Olga Ivanova", "Hans Müller", "Emily Clark", "Ahmed Khan",
    "Lukas Schmidt", "Anna Kowalska", "Piotr Nowak", "Sarah Connor", "James Miller",
    "Laura Rossi", "David Brown", "Sofia Costa", "Peter Parker", "Mary Johnson", "Carlos Mendes",
    "Elena Petrova", "Jan Novak", "Tom Wilson",
]  # fmt: skip
STATES = [
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut",
    "Delaware", "Florida", "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas",
    "Kentucky", "Louisiana", "Maine", "Maryland",
]  # fmt: skip


def _types(frame: pd.DataFrame) -> dict[str, list[str]]:
    scan = scan_dataframe(frame, policy=Policy())
    return {name: col.entity_types for name, col in scan.columns.items() if col.entities}


def test_names_of_hospitals_and_their_addresses_are_not_personal() -> None:
    frame = pd.DataFrame(
        {
            "Provider Name": HOSPITALS,
            "Provider Street Address": STREETS,
            "Provider City": CITIES,
            "Total Discharges": range(20),
        }
    )
    assert _types(frame) == {}
    scan = scan_dataframe(frame, policy=Policy())
    notes = " ".join(scan.columns["Provider Street Address"].notes)
    assert "organisations or places" in notes


def test_the_same_addresses_beside_people_are_personal() -> None:
    frame = pd.DataFrame({"name": PEOPLE, "address": STREETS, "city": CITIES})
    assert _types(frame) == {
        "name": ["PERSON"],
        "address": ["LOCATION"],
        "city": ["LOCATION"],
    }


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("City, State", [f"{c.upper()}, AL" for c in CITIES]),
        ("name", ["San Francisco", "New York", "Miami", "Chicago", "Boston"] * 4),
        (
            "pickup_zone",
            ["Lenox Hill West", "Upper West Side South", "Murray Hill", "Midtown East"] * 5,
        ),
        (
            "airport",
            [
                "Chicago O'Hare International",
                "Thigpen Field",
                "Livingston Municipal",
                "Meadow Lake Airport",
            ]
            * 5,
        ),
        (
            "company",
            ["Abbott Laboratories", "Johnson Controls", "Emerson Electric", "Baxter International"]
            * 5,
        ),
    ],
    ids=["city-comma-state", "cities-under-name", "zones", "airports", "companies"],
)
def test_places_and_things_are_not_people(column: str, values: list[str]) -> None:
    frame = pd.DataFrame({column: values, "count": range(len(values))})
    assert "PERSON" not in _types(frame).get(column, [])


def test_a_place_column_that_is_the_tables_key_is_not_personal() -> None:
    """One row per state (each once), a governor's name beside it: the person is reported,
    the key of the table is not."""
    frame = pd.DataFrame({"state": STATES, "governor": PEOPLE, "population": range(20)})
    scan = scan_dataframe(frame, policy=Policy())
    assert scan.columns["governor"].entity_types == ["PERSON"]
    assert scan.columns["state"].entity_types == []
    assert "key" in " ".join(scan.columns["state"].notes)


def test_places_repeated_over_people_stay_personal() -> None:
    frame = pd.DataFrame({"name": PEOPLE, "state": STATES[:5] * 4})
    assert _types(frame) == {"name": ["PERSON"], "state": ["LOCATION"]}


def test_column_names_are_no_row_context() -> None:
    """A header that reads like a name ("Airport Name") never makes a place column personal."""
    frame = pd.DataFrame(
        {
            "Airport Name": ["Thigpen Field", "Meadow Lake Airport"] * 10,
            "Origin State": STATES[:10] * 2,
            "Cost Total": range(20),
        }
    )
    assert _types(frame) == {}


def test_a_team_column_names_teams() -> None:
    frame = pd.DataFrame(
        {
            "Name": PEOPLE,
            "Amateur Team": ["Halifax", "Portland", "Ottawa", "London", "Brandon"] * 4,
        }
    )
    assert _types(frame) == {"Name": ["PERSON"]}


def test_tables_from_outputs_judge_small_frames_too() -> None:
    table = {
        "city": ["San Francisco", "New York", "Miami"],
        "population": ["808976", "8363710", "413201"],
        "name": ["San Francisco", "New York", "Miami"],
        "state": ["California", "New-York", "Florida"],
    }
    assert scan_table(table).pii_columns == {}


TEXT_HITS = [
    ("{'first_name': 'Maria', 'last_name': 'Garcia', 'age': 34}", "PERSON", ["Maria", "Garcia"]),
    ("Record(name='Li Wei', city='Shanghai')", "PERSON", ["Li Wei"]),
    ("Index(['Smith, John', 'Doe, Jane'], dtype='object')", "PERSON", ["Smith, John", "Doe, Jane"]),
    ("User(full_name='Jane Doe', email='jane@doe.org')", "EMAIL_ADDRESS", ["jane@doe.org"]),
    ("name=José García email=jose.garcia@correo.es", "EMAIL_ADDRESS", ["jose.garcia@correo.es"]),
    (
        "Address: 742 Evergreen Terrace, Springfield, IL 62704",
        "LOCATION",
        ["742 Evergreen Terrace, Springfield, IL 62704"],
    ),
    ("  CPF: 123.456.789-09", "BR_CPF", ["123.456.789-09"]),
    ("Customer(first='Ann', last='Lee')", "PERSON", ["Ann", "Lee"]),
    ("patient_name: 'Björn Lindqvist', dob: '1988-02-11'", "PERSON", ["Björn Lindqvist"]),
]


@pytest.mark.parametrize(("text", "entity", "values"), TEXT_HITS, ids=[t[1] for t in TEXT_HITS])
def test_printed_values_under_their_keys(text: str, entity: str, values: list[str]) -> None:
    hits = [text[h.start : h.end] for h in scan_text(text, policy=Policy()) if h.type == entity]
    assert hits == values


TEXT_DECOYS = [
    " [20 21 22 23]]",
    "tf.Tensor([14 16 18  0  2  4  6], shape=(7,), dtype=int64)",
    "(See Duda & Hart, for example.)",
    "(Q327.D83) John Wiley & Sons.  ISBN",
    "Mathematics and Statistics, James Cook University of North Queensland.",
    "To whom did the Virgin Mary allegedly appear in 1858 in Lourdes France?",
    "['TRRF Vice President', 'lee a. waller']",
    "Department of General Services",
    "Average LoRA MAE:      3624.42",
    "Requirement already satisfied: nvidia-cublas-cu12==12.1.3.1 in /opt/conda",
    "Length: 267967963 (256M) [application/macbinary]",
    "{'name': 'Adam', 'learning_rate': 0.001}",
    "Name: Close, dtype: float64",
    "model name=Random Forest",
]


@pytest.mark.parametrize("text", TEXT_DECOYS)
def test_things_in_prose_and_logs_are_not_pii(text: str) -> None:
    assert [(h.type, text[h.start : h.end]) for h in scan_text(text, policy=Policy())] == []


def test_a_record_printed_as_a_series_is_read_as_keys_and_values() -> None:
    """``df.iloc[0]``: one person's fields, one per line, under the Series footer."""
    from nbsec.source.output_pii import pii_engine, text_issues

    text = (
        "first_name                   Li\n"
        "last_name                   Wei\n"
        "email         li.wei@example.cn\n"
        "age                          34\n"
        "Name: 0, dtype: object"
    )
    engine = pii_engine()
    assert engine is not None
    found = {
        (text[s.start : s.end], s.label)
        for issue in text_issues(text, Policy(), engine)
        for s in issue.spans
    }
    assert found == {("Li", "PERSON"), ("Wei", "PERSON"), ("li.wei@example.cn", "EMAIL_ADDRESS")}


def test_a_phone_printed_in_a_list_is_still_found() -> None:
    text = "phones: ['020 7946 0958', '+1-415-555-2671']"
    hits = [text[h.start : h.end] for h in scan_text(text, policy=Policy())]
    assert "+1-415-555-2671" in hits


def test_event_dates_beside_people_are_not_birth_dates() -> None:
    import datetime as dt

    days = [dt.date(1975 + (i * 7) % 40, 1 + i % 12, 1 + i % 28) for i in range(20)]
    cases = (("hire_date", []), ("order_date", []), ("geburtsdatum", ["DATE_TIME"]))
    for column, expected in cases:
        frame = pd.DataFrame({"name": PEOPLE, column: days})
        scan = scan_dataframe(frame, policy=Policy())
        assert scan.columns[column].entity_types == expected, column


def test_a_bare_name_header_does_not_make_products_or_teams_people() -> None:
    products = [f"{a} {b}" for a in ("Fast", "Smart", "Mini", "Digital") for b in
                ("Keyboard", "Heater", "Drone", "Tablet", "Router")]  # fmt: skip
    teams = ["Cincinnati Reds", "St. Louis Cardinals", "Pittsburgh Pirates", "Atlanta Braves",
             "Philadelphia Phillies"] * 4  # fmt: skip
    for values in (products, teams):
        assert _types(pd.DataFrame({"name": values, "price": range(20)})) == {}
    # surnames that are also places stay surnames under a header that says so
    surnames = [
        "Washington", "Jackson", "Lincoln", "Madison", "Austin", "Houston", "Dallas", "Cleveland",
        "Chester", "Lancaster", "Preston", "Warren", "Marion", "Clinton", "Florence", "Troy",
        "Aurora", "Orlando", "Denver", "Jordan",
    ]  # fmt: skip
    frame = pd.DataFrame({"First Name": [p.split()[0] for p in PEOPLE], "Last Name": surnames})
    assert _types(frame) == {"First Name": ["PERSON"], "Last Name": ["PERSON"]}


def _people_with(column: str, values: list[object], rows: int = 300) -> pd.DataFrame:
    names = [
        f"{PEOPLE[i % 20].split()[0]} {PEOPLE[(i * 7 + 3) % 20].split()[1]}" for i in range(rows)
    ]
    return pd.DataFrame({"name": names, column: values})


def test_dates_shared_by_many_rows_are_events_not_birth_dates() -> None:
    import datetime as dt

    # the first day of a term: a few dates, each shared by a whole cohort of people, in no order
    starts = [dt.date(1947 + 2 * ((i * 11) % 30), 1, 3) for i in range(300)]
    births = [dt.date(1920 + (i * 13) % 60, 1 + (i * 5) % 12, 1 + (i * 3) % 28) for i in range(300)]
    frame = _people_with("termstart", starts).assign(born_on=births)
    scan = scan_dataframe(frame, policy=Policy())
    assert scan.columns["termstart"].entity_types == []
    assert scan.columns["born_on"].entity_types == ["DATE_TIME"]


def test_a_birth_date_header_keeps_sorted_and_old_birth_dates() -> None:
    import datetime as dt

    # a table of people born in the 19th century, sorted by age: the header decides
    births = sorted(dt.date(1830 + i // 4, 1 + i % 12, 1 + (i * 3) % 28) for i in range(300))
    for column, expected in (("birthday", ["DATE_TIME"]), ("joined", [])):
        scan = scan_dataframe(_people_with(column, births), policy=Policy())
        assert scan.columns[column].entity_types == expected, column


@pytest.mark.parametrize(
    ("column", "values"),
    [
        # titles of beers and films: a person's name inside a few longer titles is a title
        ("beer", [f"Brew {i}" for i in range(290)]
         + [f"{PEOPLE[i]} Memorial Reserve Ale No. {i}" for i in range(10)]),
    ],
)  # fmt: skip
def test_titles_named_after_people_are_not_people(column: str, values: list[str]) -> None:
    frame = pd.DataFrame({column: values, "abv": [0.05] * len(values)})
    assert _types(frame) == {}


def test_a_few_people_over_many_rows_stay_personal() -> None:
    # under a header that says person, or as whole names (polls of a few politicians)
    frame = pd.DataFrame({"salesperson": [PEOPLE[i % 20] for i in range(3000)]})
    assert _types(frame) == {"salesperson": ["PERSON"]}
    frame = pd.DataFrame({"politician": [PEOPLE[i % 20] for i in range(3000)]})
    assert _types(frame) == {"politician": ["PERSON"]}


def test_a_record_number_shaped_like_an_ssn_is_not_one() -> None:
    ids = [f"{100 + i}-{10 + i % 89}-{1000 + i * 7}" for i in range(300)]
    for column, expected in (("Invoice ID", []), ("ssn", ["US_SSN"])):
        scan = scan_dataframe(_people_with(column, ids), policy=Policy())
        assert scan.columns[column].entity_types == expected, column


def test_addresses_of_sites_are_not_personal_but_a_lone_address_column_is() -> None:
    sites = pd.DataFrame({"storenum": range(20), "STREETADDR": STREETS, "opened": range(20)})
    scan = scan_dataframe(sites, policy=Policy())
    assert scan.columns["STREETADDR"].entity_types == []
    assert "no column identifying people" in " ".join(scan.columns["STREETADDR"].notes)
    assert _types(pd.DataFrame({"address": STREETS})) == {"address": ["LOCATION"]}


def test_metropolitan_areas_under_an_area_name_header_are_places() -> None:
    areas = [
        "Mount Vernon-Anacortes, WA", "Ogden-Clearfield, UT", "Durham-Chapel Hill, NC",
        "Springfield, OH", "Tallahassee, FL", "Ithaca, NY", "Owensboro, KY", "New Haven, CT",
        "Minneapolis-St. Paul-Bloomington, MN-WI", "Dallas-Fort Worth-Arlington, TX",
        "Bethesda-Rockville-Frederick, MD", "Kansas City, MO-KS", "Boise City, ID",
        "Fargo, ND-MN", "Portland-Vancouver-Hillsboro, OR-WA", "Albany, GA", "Reno, NV",
        "Salem, OR", "Tucson, AZ", "Columbus, OH",
    ]  # fmt: skip
    frame = pd.DataFrame({"area_name": areas, "tot_emp": range(20), "jobs_1000": range(20)})
    assert _types(frame) == {}


def test_double_surnames_with_initials_are_people_beside_metropolitan_areas() -> None:
    # read as metropolitan areas when any upper-case letters after the comma passed for codes
    authors = [
        "Garcia-Lopez, AM", "Garcia-Ramos, JL", "Garcia-Torres, FJ", "Garcia-Santos, MAR",
        "Garcia-Navarro, JM", "Lopez-Garcia, AM", "Lopez-Rodriguez, JL", "Lopez-Torres, RM",
        "Lopez-Diaz, JA", "Lopez-Castro, MCL", "Lopez-Herrera, JM", "Martinez-Lopez, LM",
        "Martinez-Ramos, RM", "Martinez-Silva, EP", "Martinez-Santos, JA", "Lopez-Navarro, AM",
        "Garcia-Herrera, JA", "Lopez-Medina, JA", "Martinez-Torres, MAR", "Lopez-Reyes, FJ",
    ]  # fmt: skip
    areas = [
        "Mount Vernon-Anacortes, WA", "Ogden-Clearfield, UT", "Durham-Chapel Hill, NC",
        "Dallas-Fort Worth-Arlington, TX", "Fargo, ND-MN", "Portland-Vancouver-Hillsboro, OR-WA",
        "Kansas City, MO-KS", "Bethesda-Rockville-Frederick, MD", "Ottawa-Gatineau, ON-QC",
        "Reno, NV",
    ] * 2  # fmt: skip
    for header in ("name", "author"):
        frame = pd.DataFrame({header: authors, "metro_area": areas, "papers": range(20)})
        types = _types(frame)
        assert types[header] == ["PERSON"], header
        assert "PERSON" not in types.get("metro_area", [])
    # the areas alone, with metrics, are an aggregate table of places
    assert _types(frame.drop(columns="author")) == {}


def test_place_codes_under_a_place_header_are_places_beside_people_only() -> None:
    codes = ["TX", "NC", "IL", "CA", "NY", "OH", "WA", "FL", "GA", "MA"] * 2
    people = pd.DataFrame({"name": PEOPLE, "state": codes})
    assert _types(people) == {"name": ["PERSON"], "state": ["LOCATION"]}
    stats = pd.DataFrame({"state": codes, "total": range(20), "share": [0.5] * 20})
    assert _types(stats) == {}
    # the same codes under a header that says nothing of places are no places
    assert _types(pd.DataFrame({"name": PEOPLE, "grade": codes})) == {"name": ["PERSON"]}


COUNTRIES_BY_LANGUAGE = {
    "fr": [
        "Allemagne", "Espagne", "États-Unis", "Royaume-Uni", "Italie", "Chine", "Japon",
        "Brésil", "Mexique", "Inde", "Pays-Bas", "Suède", "Norvège", "Pologne", "Turquie",
        "Grèce", "Irlande", "Argentine", "Égypte", "Maroc",
    ],
    "es": [
        "Alemania", "España", "Estados Unidos", "Reino Unido", "Italia", "China", "Japón",
        "Brasil", "México", "India", "Países Bajos", "Suecia", "Noruega", "Polonia", "Turquía",
        "Grecia", "Irlanda", "Argentina", "Egipto", "Marruecos",
    ],
    "de": [
        "Deutschland", "Spanien", "Vereinigte Staaten", "Vereinigtes Königreich", "Italien",
        "China", "Japan", "Brasilien", "Mexiko", "Indien", "Niederlande", "Schweden", "Norwegen",
        "Polen", "Türkei", "Griechenland", "Irland", "Argentinien", "Ägypten", "Marokko",
    ],
    "ru": [
        "Германия", "Испания", "Соединенные Штаты", "Великобритания", "Италия", "Китай",
        "Япония", "Бразилия", "Мексика", "Индия", "Нидерланды", "Швеция", "Норвегия", "Польша",
        "Турция", "Греция", "Ирландия", "Аргентина", "Египет", "Марокко",
    ],
    "tr": [
        "Almanya", "İspanya", "Amerika Birleşik Devletleri", "Birleşik Krallık", "İtalya", "Çin",
        "Japonya", "Brezilya", "Meksika", "Hindistan", "Hollanda", "İsveç", "Norveç", "Polonya",
        "Türkiye", "Yunanistan", "İrlanda", "Arjantin", "Mısır", "Fas",
    ],
}  # fmt: skip
CURRENCIES = [
    "Euro", "US Dollar", "Japanese Yen", "British Pound", "Swiss Franc", "Canadian Dollar",
    "Mexican Peso", "Brazilian Real", "Indian Rupee", "Russian Ruble", "Turkish Lira",
    "Swedish Krona", "Norwegian Krone", "Polish Zloty", "South African Rand", "Chinese Yuan",
    "Egyptian Pound", "Moroccan Dirham", "dólar estadounidense", "franc suisse",
]  # fmt: skip


@pytest.mark.parametrize("language", sorted(COUNTRIES_BY_LANGUAGE))
def test_country_names_in_other_languages_are_places_not_people(language: str) -> None:
    countries = COUNTRIES_BY_LANGUAGE[language]
    assert all(lexicons.place_rank(c) == 2 for c in countries), language
    for header in ("official_name", "name", f"name_{language}"):
        stats = pd.DataFrame({header: countries, "population": range(20), "gdp": [1.5] * 20})
        assert _types(stats).get(header, ["LOCATION"]) == ["LOCATION"], (language, header)
    # all five languages side by side, one table of countries with a metric
    table = pd.DataFrame({f"official_name_{k}": v for k, v in COUNTRIES_BY_LANGUAGE.items()})
    table["area_km2"] = range(20)
    assert _types(table) == {}


def test_currency_names_are_no_people() -> None:
    assert all(lexicons.is_currency(c) for c in CURRENCIES)
    for header in ("currency_name", "name", "ISO4217-currency_name"):
        table = pd.DataFrame({header: CURRENCIES, "rate": [1.1] * 20, "digits": range(20)})
        assert "PERSON" not in _types(table).get(header, []), header
    people = pd.DataFrame({"name": PEOPLE, "email": [f"p{i}@example.org" for i in range(20)]})
    people["currency"] = CURRENCIES
    assert "PERSON" not in _types(people).get("currency", [])
