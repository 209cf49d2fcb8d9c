"""The peers' own malicious and benign fixtures, labelled by the peers' own tests.

Independent of nbsec's corpus generator: these files come from the peers' repositories, read
from local checkouts (nothing is downloaded here; clone or unpack them yourself and pass the
directories):

* picklescan ``tests/data`` and ``tests/data2``: committed files, labelled by their names as
  picklescan's ``tests/test_scanner.py`` uses them (``malicious*``, ``GHSA-*`` advisories,
  ``*exploit*``, ``*sploit*``, ``*_bypass*``, the dangerous-callable files; the benign pickles,
  pytorch models, numpy arrays and ``bad_pytorch.pt``, a PNG the test expects no threat in).
  Files the tests expect a scan *error* for (``broken_model.pkl``, ``not_a_pickle.bin``) are
  unlabelled.
* ModelAudit ``tests/assets``: committed files, labelled by name as its tests use them
  (``exploit*``, ``*attack*``, ``malicious*``, ``evil*``, ``nested_pickle_*``, ``dill_func``,
  ``decode_exec_chain``, ``path_traversal.zip``; ``safe_*`` and the license-scenario models).
* fickling ``test/test_bypasses.py``: the pickles are built in the tests. They are run in the
  peers' environment against the checkout's own fickling, with ``check_safety`` wrapped to keep
  every pickle it is asked about (as the bytes the test parsed it from, when it did: ``dumps()``
  would re-frame a mis-framed stream); a pickle from a test that passes is labelled by the severity
  that test asserts (above ``LIKELY_SAFE``: malicious), so the label is the test's.

    .venv/bin/python benchmarks/peer_fixtures.py --picklescan DIR --fickling DIR \\
        --modelaudit DIR [--no-peers]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_model_scan import PEERS, ensure_peers, nbsec_results, run_peer  # noqa: E402

from nbsec.policy import Policy  # noqa: E402

MODEL_SUFFIXES = {
    ".pkl", ".pickle", ".pt", ".pth", ".bin", ".joblib", ".npy", ".npz", ".ckpt", ".dill",
    ".zip", ".7z", ".tar", ".gz", ".h5", ".keras", ".safetensors",
}  # fmt: skip

PICKLESCAN_MALICIOUS = re.compile(
    r"malicious|GHSA|exploit|sploit|bypass|exfiltration|codeinjection|io_FileIO|"
    r"logging_FileHandler|types_CodeType|urllib_request_urlopen"
)
PICKLESCAN_BENIGN = re.compile(
    r"benign|int_array|object_array|^pytorch_model|^new_pytorch_model|^bad_pytorch"
)
MODELAUDIT_MALICIOUS = re.compile(
    r"exploit|attack|malicious|evil|nested_pickle_|dill_func|decode_exec|path_traversal"
)
MODELAUDIT_BENIGN = re.compile(r"^safe_|agpl_model|model_weights|mixed_model\.|embeddings")


@dataclass(frozen=True)
class Fixture:
    path: Path
    peer: str  # whose fixture it is
    label: str  # malicious | benign | unlabelled


def _label(name: str, malicious: re.Pattern[str], benign: re.Pattern[str]) -> str:
    if malicious.search(name):
        return "malicious"
    if benign.search(name):
        return "benign"
    return "unlabelled"


def committed_fixtures(root: Path, peer: str, folders: tuple[str, ...]) -> list[Fixture]:
    patterns = {
        "picklescan": (PICKLESCAN_MALICIOUS, PICKLESCAN_BENIGN),
        "modelaudit": (MODELAUDIT_MALICIOUS, MODELAUDIT_BENIGN),
    }[peer]
    out = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix.lower() in MODEL_SUFFIXES:
                out.append(Fixture(path, peer, _label(path.name, *patterns)))
    return out


# Runs in the peers' environment: fickling's bypass tests against the checkout's fickling.
FICKLING_HARNESS = r"""
import importlib.util, json, sys, unittest
checkout, out = sys.argv[1], sys.argv[2]
sys.path.insert(0, checkout)
import fickling
from fickling.analysis import Severity
spec = importlib.util.spec_from_file_location("bypasses", checkout + "/test/test_bypasses.py")
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
real, records, current = mod.check_safety, [], [None]
# a Pickled parsed from bytes is kept as those bytes: dumps() would re-frame a mis-framed stream
parse, raw = mod.Pickled.load, {}

def load(data, *args, **kwargs):
    parsed = parse(data, *args, **kwargs)
    if isinstance(data, (bytes, bytearray)):
        raw[id(parsed)] = (parsed, bytes(data))
    return parsed

mod.Pickled.load = staticmethod(load)

def recording(pickled, *args, **kwargs):
    result = real(pickled, *args, **kwargs)
    try:
        data = raw[id(pickled)][1] if id(pickled) in raw else pickled.dumps()
    except Exception:
        data = None
    records.append([current[0], data, result.severity > Severity.LIKELY_SAFE])
    return result

mod.check_safety = recording
labels, seen, failed = [], set(), []
for name in sorted(n for n in dir(mod.TestBypasses) if n.startswith("test_")):
    current[0], start = name, len(records)
    outcome = unittest.TestResult()
    mod.TestBypasses(name).run(outcome)
    if not outcome.wasSuccessful():
        failed.append(name)
        continue
    for i, (test, data, flagged) in enumerate(records[start:]):
        if data is None or data in seen:
            continue
        seen.add(data)
        path = f"{out}/{test}_{i}.pkl"
        open(path, "wb").write(data)
        labels.append([path, "malicious" if flagged else "benign"])
print("@@RESULT@@" + json.dumps({"labels": labels, "failed": failed,
                                 "fickling": fickling.__file__}))
"""


def fickling_fixtures(checkout: Path, python: Path, out: Path) -> tuple[list[Fixture], str]:
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [str(python), "-c", FICKLING_HARNESS, str(checkout), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("@@RESULT@@"):
            result = json.loads(line.removeprefix("@@RESULT@@"))
            fixtures = [Fixture(Path(p), "fickling", label) for p, label in result["labels"]]
            note = f"{len(result['failed'])} fickling tests failed and were left out"
            return fixtures, note
    return [], "fickling harness failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1]


def table(fixtures: list[Fixture], results: dict[str, dict[str, Any]]) -> None:
    peers = sorted({f.peer for f in fixtures})
    print("\n## The peers' own fixtures, labelled by the peers' tests\n")
    print("| tool | " + " | ".join(f"{p}: detected / false alarms" for p in peers) + " | total |")
    print("|---|" + "---|" * (len(peers) + 1))
    for tool, res in results.items():
        if "_error" in res:
            print(f"| {tool} | " + " | ".join("-" for _ in peers) + f" | {res['_error']} |")
            continue
        cells, hit, bad, alarms, good = [], 0, 0, 0, 0
        for peer in peers:
            mine = [f for f in fixtures if f.peer == peer]
            mal = [f for f in mine if f.label == "malicious"]
            ben = [f for f in mine if f.label == "benign"]
            flagged = lambda f: res.get(str(f.path), {}).get("flagged", False)  # noqa: E731
            d, a = sum(map(flagged, mal)), sum(map(flagged, ben))
            hit, bad, alarms, good = hit + d, bad + len(mal), alarms + a, good + len(ben)
            cells.append(f"{d}/{len(mal)} / {a}/{len(ben)}")
        print(f"| {tool} | " + " | ".join(cells) + f" | {hit}/{bad} / {alarms}/{good} |")
    print("\nMissed malicious fixtures per tool:")
    for tool, res in results.items():
        if "_error" in res:
            continue
        missed = [
            f"{f.peer}:{f.path.name}"
            for f in fixtures
            if f.label == "malicious" and not res.get(str(f.path), {}).get("flagged")
        ]
        print(f"- {tool}: {', '.join(missed) or 'none'}")
    print("\nFalse alarms per tool:")
    for tool, res in results.items():
        if "_error" in res:
            continue
        alarms = [
            f"{f.peer}:{f.path.name}"
            for f in fixtures
            if f.label == "benign" and res.get(str(f.path), {}).get("flagged")
        ]
        print(f"- {tool}: {', '.join(alarms) or 'none'}")
    unlabelled = [f"{f.peer}:{f.path.name}" for f in fixtures if f.label == "unlabelled"]
    if unlabelled:
        print(f"\nUnlabelled (not counted): {', '.join(unlabelled)}")
        for tool, res in results.items():
            if "_error" not in res:
                verdicts = [
                    "flagged" if res.get(str(f.path), {}).get("flagged") else "quiet"
                    for f in fixtures
                    if f.label == "unlabelled"
                ]
                print(f"- {tool}: {', '.join(verdicts)}")


def run(
    picklescan: Path | None,
    fickling: Path | None,
    modelaudit: Path | None,
    python: Path | None,
    peers: tuple[str, ...] = PEERS,
) -> None:
    work = Path(tempfile.mkdtemp(prefix="nbsec-peer-fixtures-"))
    try:
        fixtures: list[Fixture] = []
        if picklescan is not None:
            fixtures += committed_fixtures(picklescan, "picklescan", ("tests/data", "tests/data2"))
        if modelaudit is not None:
            fixtures += committed_fixtures(modelaudit, "modelaudit", ("tests/assets",))
        if fickling is not None:
            if python is None:
                print("fickling's bypass tests need the peers' environment: left out")
            else:
                found, note = fickling_fixtures(fickling, python, work / "fickling")
                fixtures += found
                print(f"fickling fixtures: {len(found)} ({note})")
        if not fixtures:
            print("no peer checkouts given: nothing to measure")
            return
        files = [str(f.path) for f in fixtures]
        results: dict[str, dict[str, Any]] = {"nbsec": nbsec_results(files, Policy())}
        if python is not None:
            for tool in peers:
                results[tool] = run_peer(python, tool, files, timeout=1800)
        table(fixtures, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--picklescan", type=Path, help="a picklescan checkout")
    parser.add_argument("--fickling", type=Path, help="a fickling checkout")
    parser.add_argument("--modelaudit", type=Path, help="a ModelAudit checkout")
    parser.add_argument("--no-peers", action="store_true", help="run nbsec only")
    args = parser.parse_args()
    python = None if args.no_peers else ensure_peers()
    run(args.picklescan, args.fickling, args.modelaudit, python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
