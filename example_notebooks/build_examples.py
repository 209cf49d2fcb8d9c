"""Builds the example notebooks used by ``make demo`` (``nbsec scan example_notebooks/``).

    cd example_notebooks && PYTHONPATH=.. ../.venv/bin/python build_examples.py
    ../.venv/bin/ruff format *.ipynb   # keep `ruff format --check .` green

* ``customer_churn.ipynb`` runs offline and is executed here with nbclient, so its outputs are
  real: a frame of (invented) customers displayed with names, e-mails and phone numbers, a printed
  follow-up list, and a warehouse connection string with a password in a cell.
* ``finetune_model.ipynb`` and ``load_pickled_pipeline.ipynb`` download from the network; their
  saved outputs are what an offline run prints (download cells fail without network, which is
  fine for the static demo).

All data is synthetic (data/make_customers.py); the credentials are invented.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

HERE = Path(__file__).resolve().parent
META = {
    "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
    "language_info": {"name": "python", "version": "3.11"},
}


def _save(name: str, cells: list[Any]) -> Path:
    nb = new_notebook(cells=cells, metadata=META)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name.split('_')[0]}-{i:02d}"
    path = HERE / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    return path


def customer_churn() -> Path:
    cells = [
        new_markdown_cell(
            "# Customer churn analysis\n\nWhich plans lose customers, and does support load "
            "predict churn? Data: `data/customers.csv` (CRM export)."
        ),
        new_code_cell(
            "import pandas as pd\n\n"
            "df = pd.read_csv('data/customers.csv', parse_dates=['signup_date'])\n"
            "df.head(8)"
        ),
        new_code_cell(
            "# TODO move to a secrets manager before sharing\n"
            "WAREHOUSE_URL = 'postgresql://analyst:Wint3r-Churn-2024!@warehouse.internal:5432/crm'\n"
            "# engine = sqlalchemy.create_engine(WAREHOUSE_URL)  # refreshed nightly"
        ),
        new_code_cell(
            "summary = df.groupby('plan').agg(customers=('customer_id', 'count'),\n"
            "                                 churn_rate=('churned', 'mean'),\n"
            "                                 spend=('monthly_spend', 'mean'))\n"
            "summary.round(3)"
        ),
        new_code_cell(
            "at_risk = df[(df.support_tickets >= 4) & (df.churned == 0)]\n"
            "print(f'{len(at_risk)} customers to call this week:')\n"
            "for row in at_risk.head(5).itertuples():\n"
            "    print(row.name, row.email, row.phone)"
        ),
        new_code_cell(
            "from sklearn.linear_model import LogisticRegression\n"
            "from sklearn.model_selection import train_test_split\n\n"
            "X = df[['tenure_months', 'support_tickets', 'monthly_spend']]\n"
            "y = df['churned']\n"
            "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\n"
            "clf = LogisticRegression().fit(X_train, y_train)\n"
            "print(f'accuracy: {clf.score(X_test, y_test):.2f}')"
        ),
    ]
    return _save("customer_churn", cells)


def _stream(text: str, name: str = "stdout") -> Any:
    return new_output("stream", name=name, text=text)


def _error(ename: str, evalue: str, frames: list[str]) -> Any:
    return new_output(
        "error", ename=ename, evalue=evalue, traceback=[*frames, f"{ename}: {evalue}"]
    )


def finetune_model() -> Path:
    cells = [
        new_markdown_cell(
            "# Fine-tune a sentiment head\n\nStarts from a community checkpoint on the hub and a "
            "classifier head published by a partner team. *Needs network: download cells fail "
            "offline.*"
        ),
        new_code_cell(
            "%pip install -q transformers==4.46.0 datasets==3.1.0",
            execution_count=1,
            outputs=[
                _stream("Note: you may need to restart the kernel to use updated packages.\n")
            ],
        ),
        new_code_cell(
            "from transformers import AutoModelForSequenceClassification, AutoTokenizer\n\n"
            "BASE_MODEL = 'community-nlp/sentiment-base-multilingual'\n\n"
            "tokenizer = AutoTokenizer.from_pretrained(BASE_MODEL)\n"
            "model = AutoModelForSequenceClassification.from_pretrained(\n"
            "    BASE_MODEL,\n"
            "    num_labels=3,\n"
            "    trust_remote_code=True,  # custom pooling layer\n"
            ")",
            execution_count=2,
            outputs=[
                _error(
                    "OSError",
                    "We couldn't connect to 'https://huggingface.co' to load "
                    "the files, and couldn't find them in the cached files.",
                    [
                        "\x1b[0;31mOSError\x1b[0m  Traceback (most recent call last)",
                        "Cell \x1b[0;32mIn[2], line 5\x1b[0m",
                    ],
                )
            ],
        ),
        new_code_cell(
            "!wget -q https://partner-models.example.net/heads/sentiment-head-v2.bin "
            "-O sentiment-head.bin\n"
            "!ls -la sentiment-head.bin",
            execution_count=3,
            outputs=[
                _stream("ls: cannot access 'sentiment-head.bin': No such file or directory\n")
            ],
        ),
        new_code_cell(
            "import torch\n\n"
            "head_state = torch.load('sentiment-head.bin', map_location='cpu')\n"
            "model.classifier.load_state_dict(head_state)",
            execution_count=4,
            outputs=[
                _error(
                    "FileNotFoundError",
                    "[Errno 2] No such file or directory: 'sentiment-head.bin'",
                    ["\x1b[0;31mFileNotFoundError\x1b[0m"],
                )
            ],
        ),
        new_code_cell(
            "from datasets import load_dataset\n\n"
            "reviews = load_dataset('community-nlp/product-reviews', split='train[:2000]')",
            execution_count=5,
        ),
    ]
    return _save("finetune_model", cells)


def load_pickled_pipeline() -> Path:
    cells = [
        new_markdown_cell(
            "# Score customers with the published churn pipeline\n\nThe data science platform "
            "team publishes the fitted scikit-learn pipeline as a joblib file. *Needs network.*"
        ),
        new_code_cell(
            "import urllib.request\n\nimport joblib\nimport pandas as pd\n\n"
            "PIPELINE_URL = 'http://models.example.net/churn/pipeline-v3.joblib'\n"
            "urllib.request.urlretrieve(PIPELINE_URL, 'pipeline-v3.joblib')",
            execution_count=1,
            outputs=[
                _error(
                    "URLError",
                    "<urlopen error [Errno -3] Temporary failure in name resolution>",
                    ["\x1b[0;31mURLError\x1b[0m"],
                )
            ],
        ),
        new_code_cell(
            "pipeline = joblib.load('pipeline-v3.joblib')\npipeline",
            execution_count=2,
        ),
        new_code_cell(
            "import pickle\n\n"
            "# older artefact shared on the team drive\n"
            "with open('/mnt/shared/churn/pipeline-v2.pkl', 'rb') as fh:\n"
            "    legacy = pickle.load(fh)",
            execution_count=3,
        ),
        new_code_cell(
            "customers = pd.read_csv('data/customers.csv')\n"
            "features = customers[['tenure_months', 'support_tickets', 'monthly_spend']]\n"
            "customers['churn_score'] = pipeline.predict_proba(features)[:, 1]\n"
            "customers.sort_values('churn_score', ascending=False).head()",
            execution_count=4,
        ),
    ]
    return _save("load_pickled_pipeline", cells)


def main() -> None:
    churn = customer_churn()
    finetune_model()
    load_pickled_pipeline()
    if "--no-execute" not in sys.argv:
        from nbclient import NotebookClient

        nb = nbformat.read(str(churn), as_version=4)
        NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}
        ).execute()
        nbformat.write(nb, str(churn))


if __name__ == "__main__":
    main()
