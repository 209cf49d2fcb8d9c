"""``make demo``: run nbsec's main jobs on the example notebooks and write everything to reports/.

1. static scan of every example notebook (text table on screen; JSON and SARIF files),
2. PII scan of the example data files,
3. static scan of model files: a real scikit-learn pipeline saved with joblib and a pickle that
   would run a shell command (made here, scanned, never loaded),
4. lineage of the churn notebook, executed in a real kernel with nbsec loaded (JSON + Mermaid).

Each step runs the real ``nbsec`` command. Findings make a command exit 1, which is the point of a
demo; an exit code of 2 (an input or usage error) fails the demo.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REPORTS = ROOT / "reports"


def nbsec(*args: str, output: Path | None = None, show: bool = False) -> int:
    command = [sys.executable, "-m", "nbsec", *args]
    if output is not None:
        command += ["-o", str(output)]
    proc = subprocess.run(command, cwd=ROOT, capture_output=not show, text=True, check=False)
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr if not show else "")
        raise SystemExit(f"demo: 'nbsec {' '.join(args)}' failed with exit code {proc.returncode}")
    return proc.returncode


def make_models(folder: Path) -> None:
    """A benign pipeline and a malicious pickle, written for the model scanner to judge."""
    import joblib
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    folder.mkdir(parents=True, exist_ok=True)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression())
    pipeline.fit([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.9, 0.1]], [0, 1, 0, 1])
    joblib.dump(pipeline, folder / "churn_pipeline.joblib")

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, ("echo pwned > /tmp/nbsec-demo-pwned",))

    (folder / "downloaded_model.pkl").write_bytes(pickle.dumps(Payload(), protocol=4))


def main() -> int:
    REPORTS.mkdir(exist_ok=True)
    print("== nbsec scan example_notebooks/ ==")
    nbsec("scan", "example_notebooks", show=True)
    nbsec("scan", "example_notebooks", "--format", "json", output=REPORTS / "scan.json")
    nbsec("scan", "example_notebooks", "--format", "sarif", output=REPORTS / "scan.sarif")

    print("\n== nbsec pii example_notebooks/data/ ==")
    nbsec("pii", "example_notebooks/data", show=True)
    nbsec("pii", "example_notebooks/data", "--format", "json", output=REPORTS / "pii.json")

    print("\n== nbsec scan-model reports/models/ ==")
    make_models(REPORTS / "models")
    nbsec("scan-model", "reports/models", show=True)
    nbsec("scan-model", "reports/models", "--format", "json", output=REPORTS / "models.json")

    print("\n== nbsec lineage example_notebooks/customer_churn.ipynb --execute ==")
    notebook = "example_notebooks/customer_churn.ipynb"
    nbsec("lineage", notebook, "--execute", "--format", "json", output=REPORTS / "lineage.json")
    from nbsec.lineage.graph import LineageGraph

    graph = LineageGraph.from_json(json.loads((REPORTS / "lineage.json").read_text("utf-8")))
    mermaid = graph.to_mermaid()
    (REPORTS / "lineage.mmd").write_text(mermaid + "\n", encoding="utf-8")
    print(mermaid)

    print("Reports written to reports/:")
    for path in sorted(REPORTS.glob("*.*")):
        print(f"  {path.relative_to(ROOT)}  ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
