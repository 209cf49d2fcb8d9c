"""National ids by checksum, row context, dates, booleans, evidence merging, the scan job."""

from __future__ import annotations

import datetime as dt
import importlib
import pickle
import random
import re
import time

import pandas as pd
import pytest

from nbsec.pii import evidence as evm
from nbsec.pii import national_ids, scan_dataframe
from nbsec.pii.scan_job import ScanJob, settings_from_policy
from nbsec.policy import Policy
from tests.pii.conftest import policy_with


def _doc_examples(module: str) -> list[str]:
    """Valid numbers from stdnum's own documentation (``>>> validate('...')`` with no error)."""
    if module.startswith("nbsec:"):
        return []  # nbsec's own checks: numbers are derived from the pattern below
    doc = importlib.import_module(f"stdnum.{module}").__doc__ or ""
    lines = doc.splitlines()
    out = []
    for i, line in enumerate(lines[:-1]):
        m = re.match(r">>> validate\('([^']+)'\)", line.strip())
        if m and not lines[i + 1].strip().startswith("Traceback"):
            out.append(m.group(1))
    return out


def _sample(pattern: str, rng: random.Random) -> str:
    """A random string the (simple) candidate pattern matches, from its parse tree."""
    import re._constants as c
    import re._parser as sre

    def gen(items: object) -> str:
        out = []
        for op, arg in items:  # type: ignore[attr-defined]
            if op is c.LITERAL:
                out.append(chr(arg))
            elif op is c.IN:
                choices: list[str] = []
                for kind, value in arg:
                    if kind is c.LITERAL:
                        choices.append(chr(value))
                    elif kind is c.RANGE:
                        choices += [chr(x) for x in range(value[0], value[1] + 1)]
                    elif kind is c.CATEGORY:
                        choices += list("0123456789")
                out.append(rng.choice(choices))
            elif op is c.MAX_REPEAT:
                low, high, sub = arg
                count = low if high == c.MAXREPEAT else rng.randint(low, min(high, low + 1))
                if low == 0 and high == 1:
                    count = 1  # optional separators: write them
                out.append("".join(gen(sub) for _ in range(count)))
            elif op is c.SUBPATTERN:
                out.append(gen(arg[-1]))
            elif op is c.BRANCH:
                out.append(gen(rng.choice(arg[1])))
            elif op is c.CATEGORY:
                out.append(str(rng.randint(0, 9)))
        return "".join(out)

    return gen(sre.parse(pattern))


def _valid_numbers(nid: national_ids.NationalId, n: int, rng: random.Random) -> list[str]:
    """``n`` numbers in the candidate format that stdnum accepts: documented examples, then
    random strings of the pattern completed by trying every last character."""
    pattern = re.compile(r"(?<![\w.-])" + nid.pattern + r"(?![\w]|[.-]\w)")
    found = [x for x in _doc_examples(nid.module) if pattern.fullmatch(x)]
    for _ in range(20_000):
        if len(found) >= n:
            break
        body = _sample(nid.pattern, rng)
        for last in "0123456789XKABCDEFGHIJLMNOPQRSTUVW":
            cand = body[:-1] + last
            if pattern.fullmatch(cand) and national_ids.is_valid(nid.module, cand):
                if cand not in found:
                    found.append(cand)
                break
    return found


CHECKSUM_IDS = [n for n in national_ids.NATIONAL_IDS if n.check == "checksum"]


@pytest.mark.parametrize("nid", CHECKSUM_IDS, ids=[n.entity for n in CHECKSUM_IDS])
def test_national_ids_found_by_checksum(nid: national_ids.NationalId) -> None:
    rng = random.Random(11)
    values = _valid_numbers(nid, 40, rng)
    if len(values) < 12:
        pytest.skip(f"could not derive enough valid {nid.entity} examples from stdnum's docs")
    column = nid.context[0] if nid.context else "id"
    frame = pd.DataFrame({column: values, "name": ["Anna Nowak"] * len(values)})
    entity = national_ids.ENTITY_NAME.get(nid.entity, nid.entity)
    types = scan_dataframe(frame, policy=Policy()).columns[column].entity_types
    assert entity in types or any(t.endswith(entity.split("_", 1)[1]) for t in types), types
    # the same digits with a broken check character are not that id
    broken = []
    for v in values:
        last = v[-1]
        swap = "0" if last != "0" else "1"
        if not national_ids.is_valid(nid.module, v[:-1] + swap):
            broken.append(v[:-1] + swap)
    frame = pd.DataFrame({"ref": broken})
    assert entity not in scan_dataframe(frame, policy=Policy()).columns["ref"].entity_types


def test_thirty_countries_are_checksum_verified() -> None:
    assert len(national_ids.verified_countries()) >= 30


CITIES = ["Boston", "Chicago", "Denver", "Seattle", "Austin", "Phoenix", "Dallas", "Miami"]
COUNTRIES = ["France", "Germany", "Brazil", "Japan", "Kenya", "Peru", "Canada", "India"]


@pytest.mark.parametrize(
    ("frame", "column", "expected"),
    [
        (
            pd.DataFrame({"country": COUNTRIES * 5, "gdp": range(40), "pop": range(40)}),
            "country",
            [],
        ),
        (pd.DataFrame({"city": CITIES * 5, "sales": [1.5] * 40}), "city", []),
        (
            pd.DataFrame(
                {
                    "name": [
                        f"{f} {s}"
                        for f in ("Anna", "John", "Maria", "Peter", "Laura")
                        for s in (
                            "Smith",
                            "Jones",
                            "Garcia",
                            "Miller",
                            "Brown",
                            "Davis",
                            "Wilson",
                            "Moore",
                        )
                    ],
                    "city": CITIES * 5,
                }
            ),
            "city",
            ["LOCATION"],
        ),
    ],
    ids=["countries-with-metrics", "cities-with-metrics", "cities-beside-names"],
)
def test_places_are_personal_only_beside_people(
    frame: pd.DataFrame, column: str, expected: list[str]
) -> None:
    scan = scan_dataframe(frame, policy=Policy())
    assert scan.columns[column].entity_types == expected
    if not expected:
        assert any("no column identifying people" in n for n in scan.columns[column].notes)
    else:
        assert "beside PERSON column 'name'" in scan.columns[column].entities[0].reason


def test_time_series_dates_are_not_birth_dates() -> None:
    days = [dt.date(1950, 1, 1) + dt.timedelta(days=7 * i) for i in range(400)]
    frame = pd.DataFrame({"date": days, "dob": list(reversed(days))[::1], "value": range(400)})
    rng = random.Random(3)
    shuffled = days[:]
    rng.shuffle(shuffled)
    frame["dob"] = shuffled
    frame["email"] = [f"u{i}@example.com" for i in range(400)]
    scan = scan_dataframe(frame, policy=Policy())
    assert scan.columns["date"].entity_types == []
    assert scan.columns["dob"].entity_types == ["DATE_TIME"]


@pytest.mark.parametrize(
    "values",
    [
        [True, False] * 100,
        ["True", "False"] * 100,
        ["Yes", "No", "No"] * 70,
        ["Rose", "Lily"] * 100,
    ],
    ids=["bool", "bool-strings", "yes-no", "two-names-enumeration"],
)
def test_booleans_and_enumerations_are_never_persons(values: list[object]) -> None:
    frame = pd.DataFrame({"name": values})
    assert scan_dataframe(frame, policy=Policy()).columns["name"].entity_types == []


def test_titanic_names_and_multilingual_names() -> None:
    names = [
        "Braund, Mr. Owen Harris", "Cumings, Mrs. John Bradley (Florence Briggs Thayer)",
        "Heikkinen, Miss. Laina", "Futrelle, Mrs. Jacques Heath (Lily May Peel)",
        "Allen, Mr. William Henry", "Moran, Mr. James", "McCarthy, Mr. Timothy J",
        "Palsson, Master. Gosta Leonard", "Johnson, Mrs. Oscar W (Elisabeth Vilhelmina Berg)",
        "Nasser, Mrs. Nicholas (Adele Achem)",
    ]  # fmt: skip
    frame = pd.DataFrame({"Name": names, "Age": [22, 38, 26, 35, 35, 30, 54, 2, 27, 14]})
    assert scan_dataframe(frame, policy=Policy()).columns["Name"].entity_types == ["PERSON"]
    cyr = [f"{f} {s}" for f in ("Иван", "Алексей", "Дмитрий", "Сергей")
           for s in ("Петров", "Смирнов", "Кузнецов", "Попов", "Соколов")]  # fmt: skip
    frame = pd.DataFrame({"фамилия": cyr, "n": range(20)})
    assert scan_dataframe(frame, policy=Policy()).columns["фамилия"].entity_types == ["PERSON"]


def test_evidence_is_picklable_and_merges_like_one_pass() -> None:
    settings = settings_from_policy(Policy())
    registry = settings.registry()
    values = [f"user{i}@example.com" for i in range(300)] + [f"note {i}" for i in range(300)]
    from nbsec.pii.column_values import collect

    whole = evm.collect("contact", collect(values), registry)
    halves = [evm.collect("contact", collect(values[:250]), registry),
              evm.collect("contact", collect(values[250:]), registry)]  # fmt: skip
    merged = pickle.loads(pickle.dumps(halves[0])).merge(pickle.loads(pickle.dumps(halves[1])))
    assert merged.values == whole.values == 600
    assert merged.entities["EMAIL_ADDRESS"].rows == whole.entities["EMAIL_ADDRESS"].rows == 300
    assert merged.distinct == whole.distinct == 600


def test_job_keeps_its_deadline_and_resumes() -> None:
    frame = pd.DataFrame({f"c{i}": [f"text {j} of column {i} lorem ipsum" for j in range(3000)]
                          for i in range(12)})  # fmt: skip
    frame["mail"] = [f"p{j}@example.org" for j in range(3000)]
    ScanJob(frame.head(10), policy=Policy()).run()  # the recognizers are built once
    job = ScanJob(frame, sample=2000, policy=Policy())
    runs = 0
    while True:
        batches = sum(ev.batches for ev in job.evidence.values())
        # a deadline already passed: the job checks it between bounded steps, so a call does
        # at most one step (one slice of one column), never the whole frame
        done = job.run(deadline=time.perf_counter())
        assert sum(ev.batches for ev in job.evidence.values()) - batches <= 1
        runs += 1
        if done:
            break
        partial = job.result()
        assert partial.partial
        assert set(partial.pending) <= set(frame.columns)
    assert runs > len(frame.columns)
    final = job.result()
    assert not final.partial and final.pending == []
    assert final.columns["mail"].entity_types == ["EMAIL_ADDRESS"]
    cancelled = ScanJob(frame, policy=Policy())
    cancelled.cancel()
    assert cancelled.run() is False and cancelled.progress < 1.0


def test_index_and_column_names_are_scanned() -> None:
    frame = pd.DataFrame({"spend": range(30)}, index=[f"c{i}@example.com" for i in range(30)])
    assert scan_dataframe(frame, policy=Policy()).columns["(index)"].entity_types == [
        "EMAIL_ADDRESS"
    ]


def test_a_teams_yaml_recognizers_are_loaded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "recognizers.yaml").write_text(
        "recognizers:\n"
        "  - name: EmployeeIdRecognizer\n"
        "    supported_language: en\n"
        "    supported_entity: ACME_EMPLOYEE_ID\n"
        "    patterns:\n"
        "      - name: acme\n"
        "        regex: 'ACME-\\d{6}'\n"
        "        score: 0.8\n"
        "    context: [employee]\n",
        "utf-8",
    )
    policy = Policy(pii=policy_with(recognizers=(str(tmp_path / "recognizers.yaml"),)).pii)
    frame = pd.DataFrame({"employee": [f"ACME-{i:06d}" for i in range(50)]})
    assert scan_dataframe(frame, policy=policy).columns["employee"].entity_types == [
        "ACME_EMPLOYEE_ID"
    ]


TEAMS = [
    "Boston Celtics", "Milwaukee Bucks", "Denver Nuggets", "Phoenix Suns", "Miami Heat",
    "Dallas Mavericks", "Houston Rockets", "Orlando Magic", "Atlanta Hawks", "Chicago Bulls",
    "Detroit Pistons", "Memphis Grizzlies", "Utah Jazz", "Sacramento Kings", "Toronto Raptors",
    "Manchester United", "Leeds United", "Paris Saint-Germain", "Bayern Munich", "Real Madrid",
]  # fmt: skip
PLACE_FIRST_NAMES = [
    f"{f} {s}"
    for f in ("Austin", "Florence", "Jackson", "Victoria", "Paris", "Sydney", "Dallas")
    for s in ("Smith", "Miller", "Brown", "Wilson", "Moore")
]


@pytest.mark.parametrize(
    ("values", "expected"),
    [(TEAMS, []), (PLACE_FIRST_NAMES, ["PERSON"])],
    ids=["teams-in-a-standings-table", "people-named-after-places"],
)
def test_a_place_and_a_word_after_it_is_a_team_not_a_person(
    values: list[str], expected: list[str]
) -> None:
    # a neutral column name: the values decide
    frame = pd.DataFrame({"entry": values, "wins": range(len(values)), "losses": 3})
    assert scan_dataframe(frame, policy=Policy()).columns["entry"].entity_types == expected


def test_a_surname_column_says_so_in_its_name() -> None:
    """Surnames no list holds, in a column whose name says surname, beside first names."""
    surnames = [
        "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
        "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
        "Павлов", "Козлов", "Степанов", "Николаев",
    ]  # fmt: skip
    firsts = ["Иван", "Мария", "Олег", "Анна", "Сергей",
              "Елена", "Дмитрий", "Ольга", "Алексей", "Наталья"] * 2  # fmt: skip
    cities = ["Москва", "Казань", "Тверь", "Самара", "Омск",
              "Пермь", "Уфа", "Томск", "Сочи", "Курск"] * 2  # fmt: skip
    frame = pd.DataFrame({"фамилия": surnames, "имя": firsts, "город": cities})
    scan = scan_dataframe(frame, policy=Policy())
    assert scan.columns["фамилия"].entity_types == ["PERSON"]
    assert scan.columns["город"].entity_types == ["LOCATION"]
    # the same surnames under a name that says nothing are not labelled on their shape alone
    alone = pd.DataFrame({"code": surnames, "n": range(20)})
    assert scan_dataframe(alone, policy=Policy()).columns["code"].entity_types == []
