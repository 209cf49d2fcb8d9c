"""A seeded corpus of realistic notebooks for the static-scan benchmark, with ground truth.

    PYTHONPATH=. .venv/bin/python benchmarks/notebook_corpus.py OUT_DIR [--typical 120] [--large 3]

Typical notebooks have 8-40 cells of ordinary data-science code (pandas, plots, sklearn) with
saved outputs (streams, DataFrame HTML, base64 PNG plots), cell ids, UUIDs, hashes and
environment look-ups as decoys. Each notebook gets 0-1 planted issue per family, chosen from
:data:`PLANTS`; ``manifest.json`` records what was planted where. Large notebooks have 200 cells
and about 5 MB of outputs. All credentials are random strings in real formats; all personal data
is invented. Notebooks go to ``OUT_DIR/typical/`` and ``OUT_DIR/large/``.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import string
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ALNUM = string.ascii_letters + string.digits
SHA = "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"


def _rand(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _png(rng: random.Random, size: int) -> str:
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + rng.randbytes(size)).decode()


def _frame_html(rows: list[list[str]], columns: list[str]) -> str:
    head = "".join(f"<th>{c}</th>" for c in columns)
    body = "".join(
        f"<tr><th>{i}</th>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>"
        for i, row in enumerate(rows)
    )
    return (
        '<div><table border="1" class="dataframe"><thead><tr style="text-align: right;">'
        f"<th></th>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


FIRST = ["Ann", "Bob", "Cara", "Dev", "Eva", "Femi", "Gus", "Hana", "Ivan", "Jia", "Kofi"]
LAST = ["Smith", "Jones", "Diaz", "Patel", "Novak", "Okafor", "Berg", "Sato", "Chen", "Khan"]


def _person(rng: random.Random) -> tuple[str, str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    email = f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example.com"
    phone = f"({rng.randint(201, 989)}) 555-{rng.randint(100, 199):04d}"
    return f"{first} {last}", email, phone


# -- planted issues: (family, kind) -> cell factory --------------------------------------------
Cell = Any
Plant = Callable[[random.Random], Cell]


def _code(source: str, *outputs: Any) -> Cell:
    return new_code_cell(source, outputs=list(outputs), execution_count=1)


def _stream(text: str) -> Any:
    return new_output("stream", name="stdout", text=text)


PLANTS: dict[tuple[str, str], Plant] = {
    ("secret", "github_token_source"): lambda r: _code(
        f'gh = Github("ghp_{_rand(r, 36)}")\nrepo = gh.get_repo("org/data")'
    ),
    ("secret", "aws_key_source"): lambda r: _code(
        f'AWS_ACCESS_KEY_ID = "AKIA{_rand(r, 16, string.ascii_uppercase + "234567")}"\n'
        f'AWS_SECRET_ACCESS_KEY = "{_rand(r, 40, ALNUM + "/+")}"'
    ),
    ("secret", "password_assignment"): lambda r: _code(
        f'db_password = "Pa55-{_rand(r, 10)}"\nconn = connect(host="db", password=db_password)'
    ),
    ("secret", "connection_string"): lambda r: _code(
        f'engine = create_engine("postgresql://etl:{_rand(r, 14)}@db.internal:5432/prod")'
    ),
    ("secret", "slack_token_output"): lambda r: _code(
        "print(settings)",
        _stream(
            f"channel: #alerts\ntoken: xoxb-{_rand(r, 11, string.digits)}-"
            f"{_rand(r, 12, string.digits)}-{_rand(r, 24)}\n"
        ),
    ),
    ("secret", "openai_key_json_output"): lambda r: _code(
        "config",
        new_output(
            "execute_result",
            execution_count=1,
            data={
                "application/json": {
                    "llm": {"api_key": f"sk-proj-{_rand(r, 20)}T3BlbkFJ{_rand(r, 20)}"}
                },
                "text/plain": "<Config>",
            },
        ),
    ),
    ("pickle", "pickle_alias"): lambda r: _code(
        "import pickle as pk\nwith open('features.pkl', 'rb') as f:\n    feats = pk.load(f)"
    ),
    ("pickle", "joblib_load"): lambda r: _code(
        "import joblib\nmodel = joblib.load('model.joblib')"
    ),
    ("pickle", "numpy_allow_pickle"): lambda r: _code(
        "import numpy as np\nemb = np.load('emb.npy', allow_pickle=True)"
    ),
    ("pickle", "torch_load"): lambda r: _code("import torch\nstate = torch.load('ckpt.pt')"),
    ("pickle", "pandas_read_pickle"): lambda r: _code(
        "import pandas as pd\ndf = pd.read_pickle('frame.pkl')"
    ),
    ("model", "trust_remote_code_pinned"): lambda r: _code(
        "from transformers import AutoModel\n"
        f"m = AutoModel.from_pretrained('acme/encoder', revision='{SHA}', trust_remote_code=True)"
    ),
    ("model", "unpinned_hub"): lambda r: _code(
        "from transformers import AutoModel\nm = AutoModel.from_pretrained('acme/encoder')"
    ),
    ("model", "wget_model"): lambda r: _code(
        "!wget -q https://files.example.net/models/classifier.bin"
    ),
    ("model", "pip_git"): lambda r: _code("%pip install git+https://github.com/someone/layers.git"),
    ("pii", "pii_table"): lambda r: _code(
        "df.head()",
        new_output(
            "execute_result",
            execution_count=1,
            data={
                "text/html": _frame_html(
                    [[*_person(r), f"{r.uniform(5, 99):.2f}"] for _ in range(8)],
                    ["name", "email", "phone", "spend"],
                ),
                "text/plain": "<DataFrame>",
            },
        ),
    ),
    ("pii", "pii_stream"): lambda r: _code(
        "for row in df.head(3).itertuples():\n    print(row.email, row.phone)",
        _stream("".join(f"{p[1]} {p[2]}\n" for p in (_person(r) for _ in range(3)))),
    ),
    ("code", "eval_input"): lambda r: _code("expr = input()\nvalue = eval(expr)"),
    ("code", "shell_true"): lambda r: _code(
        "import subprocess\nsubprocess.run(f'convert {name} out.png', shell=True)"
    ),
}
FAMILIES = ("secret", "pickle", "model", "pii", "code")


# -- ordinary cells and decoys ------------------------------------------------------------------
def _ordinary(rng: random.Random, i: int) -> Cell:
    choice = rng.randrange(9)
    if choice == 0:
        return new_markdown_cell(f"## Step {i}\n\nWe look at the distribution of `spend` by plan.")
    if choice == 1:
        return _code(
            "df.describe()",
            new_output(
                "execute_result",
                execution_count=1,
                data={
                    "text/plain": "count 200\nmean 41.5\nstd 12.1",
                    "text/html": _frame_html(
                        [[f"{rng.uniform(0, 99):.2f}" for _ in range(3)] for _ in range(5)],
                        ["spend", "tenure", "tickets"],
                    ),
                },
            ),
        )
    if choice == 2:
        return _code(
            "ax = df.spend.hist(bins=30)",
            new_output(
                "display_data",
                data={
                    "image/png": _png(rng, 3000),
                    "text/plain": "<Figure size 640x480 with 1 Axes>",
                },
            ),
        )
    if choice == 3:
        return _code(
            f"run_id = '{uuid.UUID(int=rng.getrandbits(128))}'\n"
            f"checksum = '{rng.randbytes(32).hex()}'"
        )
    if choice == 4:
        return _code("import os\ntoken = os.environ['HF_TOKEN']\nkey = os.getenv('API_KEY')")
    if choice == 5:
        return _code(
            "from sklearn.linear_model import LogisticRegression\n"
            "clf = LogisticRegression().fit(X_train, y_train)\n"
            "print(f'accuracy: {clf.score(X_test, y_test):.3f}')",
            _stream(f"accuracy: {rng.uniform(0.6, 0.9):.3f}\n"),
        )
    if choice == 6:
        return _code(
            "import torch, yaml\nw = torch.load('w.pt', weights_only=True)\n"
            "cfg = yaml.safe_load(open('cfg.yaml'))"
        )
    if choice == 7:
        return _code(
            "for epoch in range(3):\n    print(epoch, train_one_epoch())",
            _stream("".join(f"{e} loss={rng.uniform(0.1, 1):.4f}\n" for e in range(3))),
        )
    return _code(
        "import pandas as pd\ndf = pd.read_csv('data/customers.csv')\n"
        "df = df.dropna(subset=['spend'])"
    )


def _notebook(cells: list[Cell], rng: random.Random) -> Any:
    nb = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
            "language_info": {"name": "python"},
        },
    )
    for cell in nb.cells:
        cell["id"] = _rand(rng, 8, "0123456789abcdef")
    return nb


def typical(rng: random.Random) -> tuple[Any, list[dict[str, Any]]]:
    n = rng.randint(8, 40)
    cells = [_ordinary(rng, i) for i in range(n)]
    planted: list[dict[str, Any]] = []
    for family in FAMILIES:
        if rng.random() < 0.35:
            kinds = [k for f, k in PLANTS if f == family]
            kind = rng.choice(kinds)
            index = rng.randrange(len(cells) + 1)
            cells.insert(index, PLANTS[(family, kind)](rng))
            for p in planted:
                if p["cell_index"] >= index:
                    p["cell_index"] += 1
            planted.append({"family": family, "kind": kind, "cell_index": index})
    return _notebook(cells, rng), planted


def large(rng: random.Random, megabytes: float = 5.0) -> tuple[Any, list[dict[str, Any]]]:
    cells = [_ordinary(rng, i) for i in range(200)]
    per_cell = int(megabytes * 1_000_000 / 200)
    for i in range(0, 200, 2):  # training logs and plots: half the cells carry big outputs
        cells[i] = _code(
            f"train(step={i})",
            _stream(
                "".join(
                    f"step {j} loss={rng.uniform(0, 1):.6f} lr=0.0003 ok\n"
                    for j in range(per_cell // 40)
                )
            ),
            new_output(
                "display_data",
                data={"image/png": _png(rng, per_cell // 2), "text/plain": "<Figure>"},
            ),
        )
    cells.insert(150, PLANTS[("pickle", "joblib_load")](rng))
    cells.insert(170, PLANTS[("secret", "github_token_source")](rng))
    planted = [
        {"family": "pickle", "kind": "joblib_load", "cell_index": 150},
        {"family": "secret", "kind": "github_token_source", "cell_index": 170},
    ]
    return _notebook(cells, rng), planted


def build(out: Path, n_typical: int = 120, n_large: int = 3, seed: int = 1) -> dict[str, Any]:
    """Write the corpus and its manifest into ``out``; return the manifest."""
    rng = random.Random(seed)
    for group in ("typical", "large"):
        (out / group).mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "seed": seed,
        "typical": n_typical,
        "large": n_large,
        "notebooks": {},
    }
    for i in range(n_typical):
        nb, planted = typical(rng)
        name = f"typical/nb_{i:03d}.ipynb"
        nbformat.write(nb, str(out / name))
        manifest["notebooks"][name] = {"size": "typical", "planted": planted}
    for i in range(n_large):
        nb, planted = large(rng)
        name = f"large/nb_{i:02d}.ipynb"
        nbformat.write(nb, str(out / name))
        manifest["notebooks"][name] = {"size": "large", "planted": planted}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--typical", type=int, default=120)
    parser.add_argument("--large", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    build(args.out, args.typical, args.large, args.seed)


if __name__ == "__main__":
    main()
