"""Personal data in the saved outputs of real public notebooks, with hand labels.

Each notebook is read from a local clone (``/work/.mirror/<owner>+<name>/repo`` or
``--real-dir``), never copied into nbsec. Its outputs go through nbsec's saved-output scan
(HTML tables and frame reprs per column, the rest of the text line by line) and every flagged
*item* is compared with the labels:

* a table column: ``(cell, "column", name)``;
* a text hit: ``(cell, "text", value)`` (cell numbers are 1-based, as the notebook shows them).

``LABELS`` maps each item a reviewer looked at to the entity it holds, or to ``None`` when it is
not personal data (a false alarm). Precision is over flagged items that are labelled; items no
one has labelled yet are listed apart. Recall is over the labelled positives of those notebooks,
which include items no version of nbsec found (a reviewer's reading of the outputs around
each hit): a *relative* recall, honest about what it is.

Sources and licences: ageron/handson-ml2 (Apache-2.0), rasbt/python-machine-learning-book-3rd-
edition (MIT) for development; agconti/kaggle-titanic (Apache-2.0) and ageron/handson-ml3
(Apache-2.0) kept aside until the final run.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIRROR = Path("/work/.mirror")
Item = tuple[int, str, str]  # (cell, "column" | "text", column name or value)


@dataclass(frozen=True)
class SavedNotebook:
    repo: str
    path: str
    split: str  # dev | holdout


ML2 = "ageron/handson-ml2"
ML3 = "ageron/handson-ml3"
RASBT = "rasbt/python-machine-learning-book-3rd-edition"
TITANIC = "agconti/kaggle-titanic"

NOTEBOOKS: tuple[SavedNotebook, ...] = (
    SavedNotebook(ML2, "03_classification.ipynb", "dev"),
    SavedNotebook(ML2, "04_training_linear_models.ipynb", "dev"),
    SavedNotebook(ML2, "13_loading_and_preprocessing_data.ipynb", "dev"),
    SavedNotebook(ML2, "16_nlp_with_rnns_and_attention.ipynb", "dev"),
    SavedNotebook(ML2, "tools_numpy.ipynb", "dev"),
    SavedNotebook(ML2, "tools_pandas.ipynb", "dev"),
    SavedNotebook(ML2, "tools_matplotlib.ipynb", "dev"),
    SavedNotebook(RASBT, "ch08/ch08.ipynb", "dev"),
    SavedNotebook(RASBT, "ch09/ch09.ipynb", "dev"),
    SavedNotebook(RASBT, "ch13/ch13_part2.ipynb", "dev"),
    SavedNotebook(RASBT, "ch16/ch16_part1.ipynb", "dev"),
    SavedNotebook(RASBT, "ch16/ch16_part2.ipynb", "dev"),
    # held out: a Kaggle Titanic notebook and the third edition of the book, labelled from
    # reading the outputs (the third edition's outputs largely repeat the second's)
    SavedNotebook(TITANIC, "Titanic.ipynb", "holdout"),
    SavedNotebook(ML3, "03_classification.ipynb", "holdout"),
    SavedNotebook(ML3, "04_training_linear_models.ipynb", "holdout"),
    SavedNotebook(ML3, "05_support_vector_machines.ipynb", "holdout"),
    SavedNotebook(ML3, "13_loading_and_preprocessing_data.ipynb", "holdout"),
    SavedNotebook(ML3, "16_nlp_with_rnns_and_attention.ipynb", "holdout"),
    SavedNotebook(ML3, "tools_pandas.ipynb", "holdout"),
    SavedNotebook(ML3, "tools_matplotlib.ipynb", "holdout"),
)

_CH08 = ("Martha Moxley", "Maggie Grace", "Mark Fuhrman", "Stephen Weeks", "Andrew Mitchell",
         "Steve Carroll", "Robert Forster")  # fmt: skip
# (repo, notebook, cell, kind, column or value, entity or None for "not personal")
_LABELLED: tuple[tuple[str, str, int, str, str, str | None], ...] = (
    (ML2, "03_classification.ipynb", 140, "column", "Name", "PERSON"),
    (ML2, "03_classification.ipynb", 198, "text", "Tassos Papadopoulos", "PERSON"),
    (ML2, "03_classification.ipynb", 198, "text", "forteana-unsubscribe@egroups.com",
     "EMAIL_ADDRESS"),
    *((ML2, "03_classification.ipynb", 207, "text", v, "EMAIL_ADDRESS")
      for v in ("12a1mailbot1@web.de", "dcek1a1@netsgo.com",
                "zzzz@localhost.spamassassin.taint.org", "zzzz@spamassassin.taint.org")),
    *((ML2, "03_classification.ipynb", 207, "text", v, "IP_ADDRESS")
      for v in ("193.120.211.219", "203.122.2.197", "210.97.77.167")),
    (ML2, "04_training_linear_models.ipynb", 79, "text", "Michael Marshall", "PERSON"),
    (ML2, "04_training_linear_models.ipynb", 79, "text", "MARSHALL%PLU@io.arc.nasa.gov",
     "EMAIL_ADDRESS"),
    (ML2, "04_training_linear_models.ipynb", 79, "text", "R.A. Fisher", "PERSON"),
    (ML2, "04_training_linear_models.ipynb", 79, "text", "Sir R.A. Fisher", "PERSON"),
    (ML2, "04_training_linear_models.ipynb", 79, "text", "See Duda", None),
    (ML2, "04_training_linear_models.ipynb", 79, "text", "John Wiley", None),  # the publisher
    (ML2, "13_loading_and_preprocessing_data.ipynb", 13, "text", "14 16 18  0  2  4  6", None),
    *((ML2, "13_loading_and_preprocessing_data.ipynb", c, "text", v, "EMAIL_ADDRESS")
      for c in (75, 78, 80, 85, 95, 96, 97) for v in ("a@b.com", "c@d.com")
      if (c, v) not in ((75, "c@d.com"), (78, "c@d.com"), (95, "c@d.com"))),
    *((ML2, "13_loading_and_preprocessing_data.ipynb", 190, "text", v, "PERSON")
      for v in ("Alan Bates", "Deborah Kara", "Jennifer Tilly", "John Neville")),
    *((ML2, "13_loading_and_preprocessing_data.ipynb", 240, "text", v, "PERSON")
      for v in ("Christopher Walken", "Maria Conchita", "Michael Ironside")),
    (ML2, "16_nlp_with_rnns_and_attention.ipynb", 67, "text", "Christopher Walken", "PERSON"),
    (ML2, "16_nlp_with_rnns_and_attention.ipynb", 67, "text", "Michael Ironside", "PERSON"),
    *((ML2, "tools_numpy.ipynb", c, "text", "20 21 22 23", None) for c in (62, 63, 183, 184)),
    (ML2, "tools_numpy.ipynb", 65, "text", "18 19 20 21 22 23", None),
    *((ML2, "tools_pandas.ipynb", 282, "column", c, None) for c in ("city", "name", "state_y")),
    (ML2, "tools_matplotlib.ipynb", 45, "text", "Tim Peters", "PERSON"),
    *((RASBT, nb, c, "text", v, "PERSON")
      for nb, c in (("ch08/ch08.ipynb", 90), ("ch09/ch09.ipynb", 21)) for v in _CH08),
    (RASBT, "ch08/ch08.ipynb", 90, "text", "O.J. Simpson", "PERSON"),
    (RASBT, "ch09/ch09.ipynb", 21, "text", "O.J. Simpson", "PERSON"),
    (RASBT, "ch08/ch08.ipynb", 107, "text", "The Wolf", None),
    (RASBT, "ch08/ch08.ipynb", 107, "text", "The Witches", None),
    (RASBT, "ch08/ch08.ipynb", 107, "text", "Wolf Man", None),
    (RASBT, "ch13/ch13_part2.ipynb", 22, "text", "See Duda", None),
    *((RASBT, "ch16/ch16_part1.ipynb", 28, "text", v, "PERSON")
      for v in ("Kris Kristofferson", "Maggie Grace", "Martha Moxley")),
    *((RASBT, "ch16/ch16_part2.ipynb", c, "text", v, None)
      for c, v in ((12, "44 32 29  1 37 48 43"), (12, "44 29 42 33 39 45 43"),
                   (12, "33 43 36 25 38 28"), (15, "64 53 70 52 54 53  1"))),
    (RASBT, "ch16/ch16_part2.ipynb", 17, "text", "Trevor Carlson", "PERSON"),
    (RASBT, "ch16/ch16_part2.ipynb", 17, "text", "Anthony Matonak", "PERSON"),
    # -- held out ---------------------------------------------------------------------------
    (TITANIC, "Titanic.ipynb", 6, "column", "Name", "PERSON"),
    (TITANIC, "Titanic.ipynb", 29, "column", "Name", "PERSON"),
    (ML3, "03_classification.ipynb", 15, "text", "Yann LeCun", "PERSON"),
    (ML3, "03_classification.ipynb", 15, "text", "Corinna Cortes", "PERSON"),
    (ML3, "03_classification.ipynb", 15, "text", "J.C. Burges", "PERSON"),
    (ML3, "03_classification.ipynb", 158, "column", "Name", "PERSON"),
    (ML3, "03_classification.ipynb", 218, "text", "Tassos Papadopoulos", "PERSON"),
    (ML3, "03_classification.ipynb", 218, "text", "forteana-unsubscribe@egroups.com",
     "EMAIL_ADDRESS"),
    *((ML3, "03_classification.ipynb", 227, "text", v, "EMAIL_ADDRESS")
      for v in ("12a1mailbot1@web.de", "dcek1a1@netsgo.com",
                "zzzz@localhost.spamassassin.taint.org", "zzzz@spamassassin.taint.org")),
    *((ML3, "03_classification.ipynb", 227, "text", v, "IP_ADDRESS")
      for v in ("193.120.211.219", "203.122.2.197", "210.97.77.167")),
    (ML3, "04_training_linear_models.ipynb", 80, "text", "Michael Marshall", "PERSON"),
    (ML3, "04_training_linear_models.ipynb", 80, "text", "MARSHALL%PLU@io.arc.nasa.gov",
     "EMAIL_ADDRESS"),
    (ML3, "04_training_linear_models.ipynb", 80, "text", "R.A. Fisher", "PERSON"),
    (ML3, "04_training_linear_models.ipynb", 80, "text", "Sir R.A. Fisher", "PERSON"),
    (ML3, "04_training_linear_models.ipynb", 80, "text", "See Duda", None),
    (ML3, "04_training_linear_models.ipynb", 80, "text", "John Wiley", None),
    (ML3, "05_support_vector_machines.ipynb", 70, "text", "James Cook", None),
    *((ML3, "13_loading_and_preprocessing_data.ipynb", c, "text", v, "EMAIL_ADDRESS")
      for c in (82, 91, 92) for v in ("a@b.com", "c@d.com")),
    *((ML3, "13_loading_and_preprocessing_data.ipynb", c, "text", v, "EMAIL_ADDRESS")
      for c, v in ((72, "a@b.com"), (75, "a@b.com"), (77, "a@b.com"), (77, "c@d.com"))),
    *((ML3, "13_loading_and_preprocessing_data.ipynb", 199, "text", v, "PERSON")
      for v in ("Alan Bates", "Deborah Kara", "Jennifer Tilly", "John Neville")),
    *((ML3, "13_loading_and_preprocessing_data.ipynb", 231, "text", v, "PERSON")
      for v in ("Christopher Walken", "Maria Conchita", "Michael Ironside")),
    *((ML3, "16_nlp_with_rnns_and_attention.ipynb", 66, "text", v, "PERSON")
      for v in ("Christopher Walken", "Michael Ironside", "Jimmy Stewart", "Walter Brennan")),
    (ML3, "16_nlp_with_rnns_and_attention.ipynb", 66, "text", "Alberta Rocky", None),
    *((ML3, "tools_pandas.ipynb", 280, "column", c, None) for c in ("city", "name", "state_y")),
    (ML3, "tools_matplotlib.ipynb", 44, "text", "Tim Peters", "PERSON"),
)  # fmt: skip

LABELS: dict[tuple[str, str, Item], str | None] = {
    (repo, path, (cell, kind, value)): entity for repo, path, cell, kind, value, entity in _LABELLED
}


def _read(repo: str, path: str, real_dir: Path | None) -> bytes | None:
    folder = repo.replace("/", "+")
    if real_dir is not None:
        for candidate in (real_dir / folder / path, real_dir / folder / "repo" / path):
            if candidate.is_file():
                return candidate.read_bytes()
    git_dir = MIRROR / folder / "repo"
    if not git_dir.is_dir():
        return None
    done = subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"HEAD:{path}"],
        capture_output=True,
        check=False,
    )
    return done.stdout if done.returncode == 0 else None


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def flagged(raw: bytes) -> Iterator[tuple[Item, str]]:
    """Every item nbsec flags in a notebook's saved outputs, with its entity type."""
    from nbsec.policy import Policy
    from nbsec.source.html_tables import parse_tables
    from nbsec.source.output_pii import pii_engine, table_issues, text_issues

    engine = pii_engine()
    assert engine is not None
    policy = Policy()
    nb = json.loads(raw)
    for number, cell in enumerate(nb.get("cells", []), start=1):
        for output in cell.get("outputs", []) or []:
            texts: list[str] = []
            data = output.get("data", {})
            if output.get("output_type") == "stream":
                texts.append(_text(output.get("text")))
            if "text/html" in data:
                for table in parse_tables(_text(data["text/html"])):
                    for issue in table_issues(table, policy, engine):
                        _, column, types = issue.key.split(":", 2)
                        yield (number, "column", column), types.split(",")[0]
            elif "text/plain" in data:
                texts.append(_text(data["text/plain"]))
            if output.get("output_type") == "error":
                texts.append("\n".join(output.get("traceback", [])))
            for text in texts:
                for issue in text_issues(text, policy, engine):
                    if issue.rule == "NBS-PII-002":
                        _, column, types = issue.key.split(":", 2)
                        yield (number, "column", column), types.split(",")[0]
                    for span in issue.spans:
                        yield (number, "text", text[span.start : span.end]), span.label


def load(nb: SavedNotebook, real_dir: Path | None = None) -> bytes | None:
    return _read(nb.repo, nb.path, real_dir)


def output_texts(raw: bytes) -> Iterator[tuple[int, str]]:
    """(cell, text) of every stream, ``text/plain`` and traceback output: what a peer that
    reads text (presidio's AnalyzerEngine) is given."""
    nb = json.loads(raw)
    for number, cell in enumerate(nb.get("cells", []), start=1):
        for output in cell.get("outputs", []) or []:
            data = output.get("data", {})
            if output.get("output_type") == "stream":
                yield number, _text(output.get("text"))
            elif "text/plain" in data and "text/html" not in data:
                yield number, _text(data["text/plain"])
            elif output.get("output_type") == "error":
                yield number, "\n".join(output.get("traceback", []))
