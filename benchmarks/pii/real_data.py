"""Real public tables with hand-made labels, for the PII benchmark.

The tables are not copied into nbsec: each entry names a public GitHub repository, a path and
a commit, and :func:`load` reads the file from a local clone (``--real-dir DIR`` holding
``<owner>+<name>/`` clones, or the mirrors under ``/work/.mirror`` where they exist). Entries
whose file is not there are skipped and listed.

``split`` says how each table was used: ``dev`` tables were looked at while nbsec was tuned;
``holdout`` tables were labelled from their headers and kept aside until the final run.

Labels: the presidio entity types a careful reviewer would call personal data in that column.
Aggregate tables of places (one row per country, state or team, with metrics) hold none; a
column of lone first names in a table of name counts holds none; passengers' and people's names
are PERSON; an e-mail column is EMAIL_ADDRESS, and so on.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIRROR = Path("/work/.mirror")
MAX_ROWS = 20_000


@dataclass(frozen=True)
class RealTable:
    name: str
    repo: str
    path: str
    split: str  # dev | holdout
    truth: dict[str, frozenset[str]] = field(default_factory=dict)
    sep: str = ","


def _t(**columns: str) -> dict[str, frozenset[str]]:
    return {k.replace("__", " "): frozenset(v.split()) for k, v in columns.items()}


PDSH = "jakevdp/PythonDataScienceHandbook"
EXERCISES = "guipsamora/pandas_exercises"
VIDEOS = "justmarkham/pandas-videos"
SAMPLES = "Noertri/simple-csv-lib"

TABLES: tuple[RealTable, ...] = (
    # -- development: looked at while tuning ---------------------------------------------------
    RealTable("titanic_train", EXERCISES, "07_Visualization/Titanic_Disaster/train.csv", "dev",
              _t(Name="PERSON")),
    RealTable("euro12_teams", EXERCISES, "02_Filtering_&_Sorting/Euro12/Euro_2012_stats_TEAM.csv",
              "dev"),
    RealTable("us_crime_rates", EXERCISES, "04_Apply/US_Crime_Rates/US_Crime_Rates_1960_2014.csv",
              "dev"),
    RealTable("cars1", EXERCISES, "05_Merge/Auto_MPG/cars1.csv", "dev"),
    RealTable("tips", EXERCISES, "07_Visualization/Tips/tips.csv", "dev"),
    RealTable("student_mat", EXERCISES, "04_Apply/Students_Alcohol_Consumption/student-mat.csv",
              "dev"),
    RealTable("apple_stock", EXERCISES, "09_Time_Series/Apple_Stock/appl_1980_2014.csv", "dev"),
    RealTable("births", PDSH, "notebooks/data/births.csv", "dev"),
    RealTable("president_heights", PDSH, "notebooks/data/president_heights.csv", "dev",
              _t(name="PERSON")),
    RealTable("state_abbrevs", PDSH, "notebooks/data/state-abbrevs.csv", "dev"),
    RealTable("state_areas", PDSH, "notebooks/data/state-areas.csv", "dev"),
    RealTable("state_population", PDSH, "notebooks/data/state-population.csv", "dev"),
    RealTable("california_cities", PDSH, "notebooks_v1/data/california_cities.csv", "dev"),
    RealTable("seattle_weather", PDSH, "notebooks_v1/data/BicycleWeather.csv", "dev"),
    # -- held out: labelled from headers, scored only in the final run -------------------------
    RealTable("chipotle", VIDEOS, "data/chipotle.tsv", "holdout", sep="\t"),
    RealTable("drinks_by_country", VIDEOS, "data/drinks.csv", "holdout"),
    RealTable("imdb_1000", VIDEOS, "data/imdb_1000.csv", "holdout", _t(actors_list="PERSON")),
    RealTable("stocks", VIDEOS, "data/stocks.csv", "holdout"),
    RealTable("titanic_test", VIDEOS, "data/titanic_test.csv", "holdout", _t(Name="PERSON")),
    RealTable("ufo_reports", VIDEOS, "data/ufo.csv", "holdout"),
    RealTable("fake_ratings", VIDEOS, "data/fake_ratings.csv", "holdout"),
    RealTable(
        "people_sample",
        SAMPLES,
        "samples/people.csv",
        "holdout",
        _t(First__Name="PERSON", Last__Name="PERSON", Email="EMAIL_ADDRESS",
           Phone="PHONE_NUMBER", Date__of__birth="DATE_TIME"),
    ),
    RealTable("meteorite_landings", SAMPLES, "samples/meteorite_landings.csv", "holdout"),
    RealTable("products_sample", SAMPLES, "samples/products.csv", "holdout"),
)  # fmt: skip


def _read_bytes(table: RealTable, real_dir: Path | None) -> bytes | None:
    folder = table.repo.replace("/", "+")
    if real_dir is not None:
        for candidate in (real_dir / folder / table.path, real_dir / folder / "repo" / table.path):
            if candidate.is_file():
                return candidate.read_bytes()
    git_dir = MIRROR / folder / "repo"
    if git_dir.is_dir():
        done = subprocess.run(
            ["git", "--git-dir", str(git_dir), "show", f"HEAD:{table.path}"],
            capture_output=True,
            check=False,
        )
        if done.returncode == 0:
            return done.stdout
    return None


def load(table: RealTable, real_dir: Path | None = None) -> Any:
    """The table as a pandas frame read as text (as ``nbsec pii`` reads CSV), or ``None``."""
    import pandas as pd

    raw = _read_bytes(table, real_dir)
    if raw is None:
        return None
    return pd.read_csv(
        io.BytesIO(raw), sep=table.sep, dtype=str, nrows=MAX_ROWS, encoding_errors="replace"
    )


def truth_of(table: RealTable, frame: Any) -> dict[str, set[str]]:
    return {str(c): set(table.truth.get(str(c), frozenset())) for c in frame.columns}
