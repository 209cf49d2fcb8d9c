"""``--execute``: the notebook runs in a real kernel with nbsec loaded; the report shows what
happened at run time (frames, guarded loads, lineage with hashes, the kernel's packages), every
cell named by its own id."""

from __future__ import annotations

import json
import os
import pickle

import pytest

from nbsec.report.generate import generate, write
from tests.report.attachments import validate_files
from tests.report.conftest import write_notebook

pytestmark = [pytest.mark.kernel, pytest.mark.slow]


class _Payload:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One executed report shared by the tests of this module (a kernel run is slow)."""
    tmp_path = tmp_path_factory.mktemp("executed")
    (tmp_path / "train.csv").write_text(
        "tenure,tickets,churned\n" + "".join(f"{i},{i % 5},{i % 2}\n" for i in range(40))
    )
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(_Payload(), protocol=4))
    notebook = write_notebook(
        tmp_path / "train.ipynb",
        [
            ("md", "# Train and ship"),
            "import pandas as pd\nfrom sklearn.linear_model import LogisticRegression",
            "df = pd.read_csv('train.csv')\nX, y = df[['tenure', 'tickets']], df['churned']",
            "clf = LogisticRegression().fit(X, y)",
            "import joblib\njoblib.dump(clf, 'model.joblib')",
            "import pickle\nwith open('evil.pkl', 'rb') as fh:\n    other = pickle.load(fh)",
        ],
        {"nbsec": {"governance": {"intended_use": "churn triage for the support team"}}},
    )
    files = generate(notebook, execute=True, html=True)
    write(files, tmp_path / "out")
    report = validate_files(tmp_path / "out", "train")
    bom = json.loads((tmp_path / "out" / "train.nbsec.cdx.json").read_text())
    return {"report": report, "bom": bom}


def test_runtime_facts_are_reported_with_the_cells_own_ids(executed: dict[str, object]) -> None:
    report = executed["report"]
    assert isinstance(report, dict)
    assert report["identity"]["produced"]["mode"] == "executed"
    assert report["identity"]["kernel"]["source"] == "executing kernel"
    data = {i["uri"]: i for i in report["data"]["items"]}
    assert data["train.csv"]["seen"] == "run" and data["train.csv"]["rows"] == 40
    assert data["train.csv"]["read_by"] == ["cell 3 (id c2)"]
    assert [c["name"] for c in data["train.csv"]["columns"]] == ["tenure", "tickets", "churned"]
    assert data["model.joblib"]["role"] == "output"
    assert data["model.joblib"]["written_by"] == ["cell 5 (id c4)"]
    models = {m["what"]: m for m in report["models"]["items"]}
    evil = models["evil.pkl"]
    assert evil["verdict"] == "dangerous" and evil["action"] in ("blocked", "warned")
    assert "posix.system" in evil["globals"] or "os.system" in evil["globals"]
    assert evil["where"] == ["cell 6 (id c5)"]
    derived = {d["output"].split(" sha256:")[0]: d for d in report["lineage"]["derivations"]}
    assert any(s.startswith("train.csv") for s in derived["model.joblib"]["derived_from"])
    packages = {p["name"]: p for p in report["environment"]["packages"]}
    assert report["environment"]["source"] == "kernel"
    assert packages["scikit-learn"]["direct"] and packages["pandas"]["direct"]
    assert packages["scikit-learn"]["license"]


def test_the_ml_bom_links_the_written_model_to_its_dataset(executed: dict[str, object]) -> None:
    bom = executed["bom"]
    assert isinstance(bom, dict)
    components = {c["name"]: c for c in bom["components"]}
    model = components["model.joblib"]
    dataset = components["train.csv"]
    assert dataset["type"] == "data" and dataset["hashes"][0]["alg"] == "SHA-256"
    assert model["modelCard"]["modelParameters"]["datasets"] == [{"ref": dataset["bom-ref"]}]
    assert model["modelCard"]["considerations"]["useCases"] == ["churn triage for the support team"]
    evil = components["evil.pkl"]
    assert evil["type"] == "machine-learning-model"
    assert {"name": "nbsec:verdict", "value": "dangerous"} in evil["properties"]


def test_one_load_is_one_finding_in_the_report(executed: dict[str, object]) -> None:
    """The static call-site finding and the kernel's finding of the load it made are one
    finding: the load's, which knows what the file held."""
    report = executed["report"]
    assert isinstance(report, dict)
    at_load = [
        f
        for f in report["findings"]
        if f["location"]["cell_index"] == 5 and f["rule"].startswith("NBS-PKL-")
    ]
    assert len(at_load) == 1, [(f["rule"], f["location"]["line"], f["evidence"]) for f in at_load]
    assert at_load[0]["severity"] == "critical"
    assert "system" in (at_load[0]["evidence"] or "")
