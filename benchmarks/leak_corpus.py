"""Leaks planted into real notebooks, for measuring what the static scanner and redaction catch.

    PYTHONPATH=. .venv/bin/python benchmarks/leak_corpus.py SRC_DIR OUT_DIR [--seed 7]

Every notebook of ``SRC_DIR`` gets a few leaks, each a new cell (or a new output, markdown,
metadata entry, attachment) of the kind notebooks really carry: personal data from Faker (an
independent generator: e-mails, phone numbers, SSNs, card numbers, IBANs, IP addresses, names in a
DataFrame) printed in streams, shown as DataFrame HTML and text, inside tracebacks, JSON outputs,
markdown, widget state, text attachments and CSV download links; and secrets in the forms notebooks
leak them (provider tokens in code and outputs, passwords assigned, set in the environment,
printed, credentials in URLs inside HTTP errors, Authorization headers). Placeholders
(``YOUR_API_KEY``, ``<token>``, ``xxx``, ``changeme``, environment look-ups) are planted too and
must stay quiet, and so must nbsec's own inline findings blocks. ``OUT_DIR/manifest.json`` lists,
per notebook, each planted value with its family, kind and place (cell, output).
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import string
from pathlib import Path
from typing import Any

from faker import Faker

ALNUM = string.ascii_letters + string.digits


def _rand(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def secret_values(rng: random.Random) -> dict[str, str]:
    """Credentials in their providers' published formats, random bodies."""
    return {
        "github": "ghp_" + _rand(rng, 36),
        "aws": "AKIA" + _rand(rng, 16, string.ascii_uppercase + "234567"),
        "slack": f"xoxb-{_rand(rng, 12, string.digits)}-{_rand(rng, 13, string.digits)}-"
        + _rand(rng, 24),
        "openai": "sk-proj-" + _rand(rng, 24) + "T3BlbkFJ" + _rand(rng, 24),
        "stripe": "sk_live_" + _rand(rng, 24),
        "huggingface": "hf_" + _rand(rng, 34, string.ascii_letters),
        "google": "AIza" + _rand(rng, 35, ALNUM + "_-"),
    }


# what a real record, log or note calls each value
LABELS = {
    "email": "email",
    "phone": "phone",
    "ssn": "ssn",
    "card": "card_number",
    "iban": "iban",
    "ip": "client_ip",
}


def _out_stream(text: str) -> dict[str, Any]:
    return {"name": "stdout", "output_type": "stream", "text": text}


def _code(source: str, *outputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "outputs": list(outputs),
        "source": source,
    }


def _frame(rows: list[list[str]], columns: list[str]) -> dict[str, Any]:
    head = "".join(f"<th>{c}</th>" for c in columns)
    body = "".join(
        f"<tr><th>{i}</th>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>"
        for i, row in enumerate(rows)
    )
    html = (
        '<div><table border="1" class="dataframe"><thead><tr style="text-align: right;">'
        f"<th></th>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )
    width = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    lines = ["   " + "  ".join(c.rjust(w) for c, w in zip(columns, width, strict=True))]
    lines += [
        f"{i:<3}" + "  ".join(v.rjust(w) for v, w in zip(row, width, strict=True))
        for i, row in enumerate(rows)
    ]
    return {
        "data": {"text/html": html, "text/plain": "\n".join(lines)},
        "execution_count": 1,
        "metadata": {},
        "output_type": "execute_result",
    }


class Planter:
    """Adds leaks to one notebook document and records them."""

    def __init__(self, doc: dict[str, Any], fake: Faker, rng: random.Random) -> None:
        self.doc = doc
        self.fake = fake
        self.rng = rng
        self.planted: list[dict[str, Any]] = []

    def add(self, cell: dict[str, Any]) -> int:
        cells = self.doc["cells"]
        index = self.rng.randint(0, len(cells))
        cells.insert(index, cell)
        for p in self.planted:  # cells after the insertion point moved down
            if p["cell"] is not None and p["cell"] >= index:
                p["cell"] += 1
        return index

    def record(
        self, family: str, kind: str, value: str, cell: int | None, output: int | None
    ) -> None:
        self.planted.append(
            {"family": family, "kind": kind, "value": value, "cell": cell, "output": output}
        )

    # -- personal data ------------------------------------------------------------------------
    def pii_value(self) -> tuple[str, str]:
        kind = self.rng.choice(["email", "phone", "ssn", "card", "iban", "ip"])
        fake = self.fake
        value = {
            "email": fake.email,
            "phone": lambda: (
                f"({self.rng.randint(201, 989)}) {self.rng.randint(200, 999)}-"
                f"{self.rng.randint(1000, 9999)}"
            ),
            "ssn": fake.ssn,
            "card": lambda: fake.credit_card_number(card_type="visa"),
            "iban": fake.iban,
            "ip": fake.ipv4_public,
        }[kind]()
        return kind, value

    def plant_pii(self) -> None:
        where = self.rng.choice(
            ["stream", "table", "traceback", "markdown", "json", "widget", "attachment", "csv"]
        )
        kind, value = self.pii_value()
        if where == "stream":
            line = f"customer {LABELS[kind]}: {value}\n"
            i = self.add(_code("print(customer)", _out_stream(line)))
            self.record("PII", f"{kind} in a stream", value, i, 0)
        elif where == "table":
            people = [(self.fake.name(), self.fake.email()) for _ in range(self.rng.randint(4, 9))]
            rows = [[n, e, f"{self.rng.uniform(5, 500):.2f}"] for n, e in people]
            i = self.add(_code("customers.head(10)", _frame(rows, ["name", "email", "spend"])))
            for name, email in people:
                self.record("PII", "name in a DataFrame", name, i, 0)
                self.record("PII", "email in a DataFrame", email, i, 0)
        elif where == "traceback":
            message = f"invalid {LABELS[kind]} {value!r} in row 17"
            error = {
                "ename": "ValueError",
                "evalue": message,
                "output_type": "error",
                "traceback": [
                    "\x1b[0;31mValueError\x1b[0m   Traceback (most recent call last)",
                    f"\x1b[0;31mValueError\x1b[0m: {message}",
                ],
            }
            i = self.add(_code("send_report(to)", error))
            self.record("PII", f"{kind} in a traceback", value, i, 0)
        elif where == "markdown":
            note = f"Data owner's {LABELS[kind].replace('_', ' ')}: {value}."
            i = self.add({"cell_type": "markdown", "metadata": {}, "source": note})
            self.record("PII", f"{kind} in markdown", value, i, None)
        elif where == "json":
            out = {
                "data": {
                    "application/json": {"record": {LABELS[kind]: value, "score": 0.7}},
                    "text/plain": "<JSON>",
                },
                "execution_count": 1,
                "metadata": {},
                "output_type": "execute_result",
            }
            i = self.add(_code("JSON(record)", out))
            self.record("PII", f"{kind} in a JSON output", value, i, 0)
        elif where == "widget":
            widgets = self.doc["metadata"].setdefault("widgets", {})
            state = widgets.setdefault(
                "application/vnd.jupyter.widget-state+json",
                {"state": {}, "version_major": 2, "version_minor": 0},
            ).setdefault("state", {})
            state[_rand(self.rng, 32, "0123456789abcdef")] = {
                "model_module": "@jupyter-widgets/controls",
                "model_name": "TextModel",
                "state": {"description": LABELS[kind], "value": value},
            }
            self.record("PII", f"{kind} in widget state", value, None, None)
        elif where == "attachment":
            text = base64.b64encode(f"owner {LABELS[kind]}: {value}\n".encode()).decode()
            cell = {
                "attachments": {"owner.txt": {"text/plain": text}},
                "cell_type": "markdown",
                "metadata": {},
                "source": "See the attached owner note.",
            }
            i = self.add(cell)
            self.record("PII", f"{kind} in a text attachment", value, i, None)
        else:
            people = [(self.fake.name(), self.fake.email()) for _ in range(4)]
            csv = "name,email\n" + "".join(f"{n},{e}\n" for n, e in people)
            link = base64.b64encode(csv.encode()).decode()
            out = {
                "data": {
                    "text/html": '<a download="export.csv" '
                    f'href="data:text/csv;base64,{link}">Download CSV</a>',
                    "text/plain": "<IPython.core.display.HTML object>",
                },
                "metadata": {},
                "output_type": "display_data",
            }
            i = self.add(_code("HTML(download_link(df))", out))
            for _, email in people:
                self.record("PII", "email in a CSV link", email, i, 0)

    # -- secrets ------------------------------------------------------------------------------
    def plant_secret(self) -> None:
        tokens = secret_values(self.rng)
        where = self.rng.choice(
            [
                "code-token",
                "output-token",
                "password",
                "env",
                "printed",
                "url-error",
                "header",
                "weak",
            ]
        )
        if where == "code-token":
            name, value = self.rng.choice(sorted(tokens.items()))
            i = self.add(_code(f'client = Client("{value}")'))
            self.record("SEC", f"{name} token in code", value, i, None)
        elif where == "output-token":
            name, value = self.rng.choice(sorted(tokens.items()))
            i = self.add(
                _code("print(config)", _out_stream(f"{{'service': '{name}', 'key': '{value}'}}\n"))
            )
            self.record("SEC", f"{name} token in an output", value, i, 0)
        elif where in ("password", "weak"):
            value = (
                self.fake.password(length=self.rng.randint(10, 16))
                if where == "password"
                else self.rng.choice(["hunter2", "qwerty123", "123456", "letmein!", "Summer2024!"])
            )
            value = value.replace('"', "#").replace("\\", "/")
            var = self.rng.choice(["db_password", "PASSWORD", "smtp_pass", "dbPassword"])
            i = self.add(_code(f'{var} = "{value}"\nconn = connect(host="db", password={var})'))
            self.record("SEC", f"{where} password assigned", value, i, None)
        elif where == "env":
            value = self.fake.password(length=14).replace('"', "#").replace("\\", "/")
            var = self.rng.choice(
                ["SNOWFLAKE_PASSWORD", "OPENAI_API_KEY", "WANDB_API_KEY", "DB_PASS"]
            )
            i = self.add(_code(f'import os\nos.environ["{var}"] = "{value}"'))
            self.record("SEC", "value set in the environment", value, i, None)
        elif where == "printed":
            value = self.fake.password(length=12).replace('"', "#").replace("\\", "/")
            i = self.add(
                _code(
                    "print(settings)",
                    _out_stream(f"host: db.internal\nuser: etl\npassword: {value}\n"),
                )
            )
            self.record("SEC", "password printed", value, i, 0)
        elif where == "url-error":
            value = _rand(self.rng, 32)
            error = {
                "ename": "HTTPError",
                "evalue": f"403 Client Error: Forbidden for url: https://api.weather.example/v1/forecast?q=Paris&appid={value}",
                "output_type": "error",
                "traceback": [
                    "\x1b[0;31mHTTPError\x1b[0m    Traceback (most recent call last)",
                    "\x1b[0;31mHTTPError\x1b[0m: 403 Client Error: Forbidden for url: "
                    f"https://api.weather.example/v1/forecast?q=Paris&appid={value}",
                ],
            }
            i = self.add(_code("r.raise_for_status()", error))
            self.record("SEC", "credential in a URL in a traceback", value, i, 0)
        else:
            value = _rand(self.rng, 40)
            i = self.add(
                _code(
                    "print(response.request.headers)",
                    _out_stream(
                        "{'User-Agent': 'python-requests/2.31', "
                        f"'Authorization': 'Bearer {value}'}}\n"
                    ),
                )
            )
            self.record("SEC", "Authorization header printed", value, i, 0)

    # -- what must stay quiet -----------------------------------------------------------------
    def plant_placeholder(self) -> None:
        source = self.rng.choice(
            [
                'API_KEY = "YOUR_API_KEY"',
                'token = "<token>"',
                'password = "changeme"',
                'secret = "xxxxxxxxxxxx"',
                "api_key = os.environ['OPENAI_API_KEY']",
                'HF_TOKEN = os.getenv("HF_TOKEN")',
                'db_url = "postgresql://user:password@localhost/db"',
                'headers = {"Authorization": f"Bearer {token}"}',
                'client = OpenAI(api_key="sk-...")',
            ]
        )
        i = self.add(_code(source, _out_stream("Set API_KEY=<your key> before running.\n")))
        self.record("NONE", "placeholder", source, i, None)


def plant(
    doc: dict[str, Any], fake: Faker, rng: random.Random, n_pii: int, n_sec: int
) -> list[dict[str, Any]]:
    planter = Planter(doc, fake, rng)
    for _ in range(n_pii):
        planter.plant_pii()
    for _ in range(n_sec):
        planter.plant_secret()
    planter.plant_placeholder()
    return planter.planted


def _as_jupyter_writes(doc: dict[str, Any]) -> str:
    """The notebook laid out as Jupyter saves it (sources and texts as lists of lines, indent 1,
    sorted keys), so that every tool reads the file it would meet in a repository."""
    import warnings

    import nbformat

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return str(nbformat.writes(nbformat.from_dict(doc), version=nbformat.NO_CONVERT))


def build(src: Path, out: Path, seed: int = 7, files: list[Path] | None = None) -> dict[str, Any]:
    fake = Faker("en_US")
    Faker.seed(seed)
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"seed": seed, "notebooks": {}}
    for path in files if files is not None else sorted(src.glob("*.ipynb")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if doc.get("nbformat") != 4 or not isinstance(doc.get("cells"), list):
            continue
        doc.setdefault("metadata", {})
        planted = plant(doc, fake, rng, rng.randint(1, 3), rng.randint(1, 2))
        (out / path.name).write_text(_as_jupyter_writes(doc), encoding="utf-8")
        manifest["notebooks"][path.name] = planted
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    manifest = build(args.src, args.out, args.seed)
    print(f"{len(manifest['notebooks'])} notebooks written to {args.out}")


if __name__ == "__main__":
    main()
