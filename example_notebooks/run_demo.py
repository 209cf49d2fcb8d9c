"""``make demo``: nbsec's main jobs on the example notebooks, everything written to reports/.

1. the governance report of every example notebook: a governance notebook, an HTML page and the
   attachments (report JSON, SARIF, CycloneDX ML-BOM, OpenLineage) each. The churn notebook runs
   offline, so it is executed in a real kernel with nbsec loaded (``--execute``) and its report
   shows what happened at run time; the other two need the network and ``%pip install``
   packages, so they are reported from their saved state (executing them would change this
   environment);
2. static scan of the notebooks for CI (JSON and SARIF);
3. PII scan of the example data files;
4. static scan of model files: a real scikit-learn pipeline saved with joblib and a pickle that
   would run a shell command (made here, scanned, never loaded).

Each step runs the real ``nbsec`` command. Findings make a command exit 1, which is the point of a
demo; an exit code of 2 (an input or usage error) fails the demo.
"""

from __future__ import annotations

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
    print("== nbsec report example_notebooks/customer_churn.ipynb --execute --html -o reports ==")
    churn = "example_notebooks/customer_churn.ipynb"
    nbsec("report", churn, "--execute", "--html", "-o", str(REPORTS), show=True)
    print("\n== nbsec report (static) of the notebooks that need the network ==")
    others = [
        "example_notebooks/finetune_model.ipynb",
        "example_notebooks/load_pickled_pipeline.ipynb",
    ]
    nbsec("report", *others, "--html", "-o", str(REPORTS), show=True)

    print("\n== nbsec scan example_notebooks/ (the CI scan) ==")
    nbsec("scan", "example_notebooks", "--format", "json", output=REPORTS / "scan.json")
    nbsec("scan", "example_notebooks", "--format", "sarif", output=REPORTS / "scan.sarif")
    print("written: reports/scan.json, reports/scan.sarif")

    print("\n== nbsec pii example_notebooks/data/ ==")
    nbsec("pii", "example_notebooks/data", show=True)
    nbsec("pii", "example_notebooks/data", "--format", "json", output=REPORTS / "pii.json")

    print("\n== nbsec scan-model reports/models/ ==")
    make_models(REPORTS / "models")
    nbsec("scan-model", "reports/models", show=True)
    nbsec("scan-model", "reports/models", "--format", "json", output=REPORTS / "models.json")

    print(
        "\nGovernance reports (open the .nbsec.html in a browser, the .nbsec.ipynb in JupyterLab):"
    )
    for page in sorted(REPORTS.glob("*.nbsec.html")):
        stem = page.name.removesuffix(".nbsec.html")
        print(f"  {page.relative_to(ROOT)}")
        for other in sorted(REPORTS.glob(f"{stem}.nbsec.*")):
            if other != page:
                print(f"    {other.relative_to(ROOT)}  ({other.stat().st_size:,} bytes)")
    print("Other outputs: reports/scan.json, reports/scan.sarif, reports/pii.json, "
          "reports/models.json")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
