"""Recall of planted leaks in real notebooks, quiet on placeholders and on nbsec's own outputs,
redaction without leftovers, and throughput: nbsec beside detect-secrets on the same files.

    PYTHONPATH=. .venv/bin/python benchmarks/leak_eval.py [--split dev|heldout|all]
        [--real benchmarks/.cache/real_notebooks] [--no-peers]

The real notebooks are public notebooks listed in ``benchmarks/real_notebooks_manifest.json``
(repository, path, commit, sha256, and a fixed dev / held-out split by sha256); they are not
committed. Put them (named ``<repo name>__<path with / as __>``) with that manifest, plus a
``file`` key per entry, in ``--real``.
Without them the generated corpus of ``notebook_corpus.py`` is used instead. Leaks are planted by
``leak_corpus.py`` (Faker personal data, provider-format secrets). A planted value counts as
*reported* when nbsec has a finding of its family at its cell (and output), and as *masked* when
one of nbsec's redaction marks covers it; after ``redact`` the file must not hold it in any byte.
detect-secrets reports the SHA-1 of each secret it finds, so its recall is exact too.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def files_for_split(real: Path, split: str) -> list[Path]:
    """The real notebooks of a split (none when the directory was not set up)."""
    if not (real / "manifest.json").exists():
        return []
    manifest = json.loads((real / "manifest.json").read_text())
    return [real / e["file"] for e in manifest if split == "all" or e["split"] == split]


def own_blocks(notebook: Path) -> None:
    """Add to each code cell with a finding an inline block as the kernel shows it (with masked
    evidence of personal data and hashed secrets), for the 'quiet on its own outputs' count."""
    from nbsec.findings import Finding, Location
    from nbsec.kernel.display import findings_bundle, heading_for
    from nbsec.source import NameScope, check_cell_source

    doc = json.loads(notebook.read_text())
    scope = NameScope()
    for cell in doc["cells"]:
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        found = check_cell_source(source, location=Location(cell_id=cell.get("id")), scope=scope)
        found.append(
            Finding.from_rule(
                "NBS-PII-001",
                "frame 'customers' column 'email' holds EMAIL_ADDRESS (100% of 120)",
                Location(cell_id=cell.get("id")),
                evidence="j***@e***.com, m***@g***.com",
                key="customers|email|EMAIL_ADDRESS",
            )
        )
        bundle = findings_bundle(found, heading_for(found, "code"))
        cell["outputs"].append({"data": bundle, "metadata": {}, "output_type": "display_data"})
    notebook.write_text(json.dumps(doc, indent=1))


def evaluate(files: list[Path], peers: bool) -> dict[str, Any]:
    from benchmarks.leak_corpus import build
    from nbsec.policy import Policy
    from nbsec.source.notebook import load_notebook, read_notebook_bytes
    from nbsec.source.redaction import redact_notebook, serialize
    from nbsec.source.scanner import analyse

    work = Path(tempfile.mkdtemp(prefix="nbsec-leaks-"))
    src = work / "src"
    src.mkdir()
    for f in files:
        shutil.copy(f, src / f.name)
    planted_dir = work / "planted"
    manifest = build(src, planted_dir)
    names = sorted(manifest["notebooks"])
    policy = Policy()

    # plain scan of the untouched notebooks: throughput in one process
    load_notebook(src / names[0])  # imports and rule data once
    analyse(load_notebook(src / names[0]), policy)
    start, cpu = time.perf_counter(), time.process_time()
    untouched = 0
    for name in names:
        untouched += len(analyse(load_notebook(src / name), policy).findings)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu

    reported: Counter[str] = Counter()
    masked: Counter[str] = Counter()
    total: Counter[str] = Counter()
    quiet_breaches: list[str] = []
    leftovers: list[str] = []
    for name in names:
        path = planted_dir / name
        notebook = load_notebook(path)
        scan = analyse(notebook, policy)
        spans = {(id(m.site), m.start, m.end): m for m in scan.marks}
        marked_values = {m.site.text[m.start : m.end] for m in spans.values()}
        for item in manifest["notebooks"][name]:
            kind, family = item["kind"], item["family"]
            if family == "NONE":
                bad = [
                    f
                    for f in scan.findings
                    if f.location.cell_index == item["cell"]
                    and f.rule.startswith(("NBS-SEC", "NBS-PII"))
                ]
                total["placeholder cells"] += 1
                if bad:
                    quiet_breaches.append(f"{name}: {bad[0].rule} on a placeholder cell")
                continue
            total[kind] += 1
            hit = any(
                f.rule.startswith(f"NBS-{family}-")
                and f.location.cell_index == item["cell"]
                and (item["output"] is None or f.location.output_index == item["output"])
                for f in scan.findings
            )
            reported[kind] += hit
            if not _in_code(item):
                total[f"{kind} (outside code)"] += 0
                masked[kind] += any(
                    item["value"] in v or v in item["value"] for v in marked_values if len(v) >= 4
                )
        outcome = redact_notebook(notebook, policy)
        if outcome.document is not None:
            text = serialize(outcome.document, read_notebook_bytes(path))
            for item in manifest["notebooks"][name]:
                if item["family"] != "NONE" and not _in_code(item) and item["value"] in text:
                    leftovers.append(f"{name}: {item['kind']}")

    # nbsec's own blocks: findings on them
    own_dir = work / "own"
    own_dir.mkdir()
    own_findings = 0
    own_outputs = 0
    for name in names[:60]:
        target = own_dir / name
        shutil.copy(src / name, target)
        own_blocks(target)
        scan = analyse(load_notebook(target), policy)
        notebook = scan.notebook
        for f in scan.findings:
            cell = f.location.cell_index
            out = f.location.output_index
            if cell is None or out is None or not f.rule.startswith(("NBS-SEC", "NBS-PII")):
                continue
            if notebook.cells[cell].outputs[out].is_nbsec:
                own_findings += 1
        own_outputs += sum(1 for c in notebook.cells for o in c.outputs if o.is_nbsec)

    result: dict[str, Any] = {
        "notebooks": len(names),
        "throughput": len(names) / cpu if cpu else 0.0,
        "scan_wall_s": wall,
        "scan_cpu_s": cpu,
        "untouched_findings": untouched,
        "total": total,
        "reported": reported,
        "masked": masked,
        "quiet_breaches": quiet_breaches,
        "redaction_leftovers": leftovers,
        "own_outputs": own_outputs,
        "own_findings": own_findings,
    }
    if peers:
        result["detect_secrets"] = detect_secrets_recall(planted_dir, manifest)
    shutil.rmtree(work, ignore_errors=True)
    return result


def detect_secrets_recall(directory: Path, manifest: dict[str, Any]) -> dict[str, Any] | None:
    from benchmarks.bench_static_scan import PEERS, ensure_venv

    bin_dir = ensure_venv(PEERS, ["detect-secrets", "bandit", "nbqa"])
    if bin_dir is None:
        return None
    start = time.perf_counter()
    proc = subprocess.run(
        [str(bin_dir / "detect-secrets"), "scan", "--all-files", "."],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    hashes: dict[str, set[str]] = {}
    for filename, results in json.loads(proc.stdout or "{}").get("results", {}).items():
        hashes[Path(filename).name] = {r["hashed_secret"] for r in results}
    found: Counter[str] = Counter()
    quiet_breaches = 0
    for name, items in manifest["notebooks"].items():
        for item in items:
            if item["family"] != "SEC":
                continue
            digest = hashlib.sha1(item["value"].encode()).hexdigest()
            found[item["kind"]] += digest in hashes.get(name, set())
    reported = sum(len(v) for v in hashes.values())
    return {"found": found, "reported": reported, "seconds": seconds, "quiet": quiet_breaches}


def print_report(result: dict[str, Any]) -> None:
    total, reported, masked = result["total"], result["reported"], result["masked"]
    peer = result.get("detect_secrets")
    print(f"\nPlanted leaks in {result['notebooks']} real notebooks")
    header = "| kind | planted | nbsec reported | nbsec masked |" + (
        " detect-secrets |" if peer else ""
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for family in ("PII", "SEC"):
        kinds = sorted(
            k
            for k in total
            if k != "placeholder cells" and _family(k) == family and "(outside" not in k
        )
        for kind in kinds:
            shown = "(code: not rewritten)" if _code_kind(kind) else str(masked[kind])
            row = f"| {kind} | {total[kind]} | {reported[kind]} | {shown} |"
            if peer:
                row += f" {peer['found'][kind] if family == 'SEC' else '(not its kind)'} |"
            print(row)
    for family in ("PII", "SEC"):
        kinds = [
            k
            for k in total
            if k != "placeholder cells" and _family(k) == family and "(outside" not in k
        ]
        n = sum(total[k] for k in kinds)
        outside = [k for k in kinds if not _code_kind(k)]
        m = sum(total[k] for k in outside)
        if n:
            line = (
                f"{family}: recall reported {sum(reported[k] for k in kinds) / n:.3f} "
                f"({n} planted); "
                f"outside code: reported {sum(reported[k] for k in outside) / max(m, 1):.3f}, "
                f"masked {sum(masked[k] for k in outside) / max(m, 1):.3f} ({m} planted)"
            )
            if peer and family == "SEC":
                line += f"; detect-secrets {sum(peer['found'][k] for k in kinds) / n:.3f}"
            print(line)
    print(
        f"placeholders: {len(result['quiet_breaches'])} finding(s) on {total['placeholder cells']} "
        f"placeholder cells {result['quiet_breaches'][:3]}"
    )
    print(
        f"nbsec's own outputs: {result['own_findings']} PII/SEC finding(s) on "
        f"{result['own_outputs']} inline findings blocks"
    )
    print(
        f"after redact: {len(result['redaction_leftovers'])} planted value(s) left "
        f"{result['redaction_leftovers'][:3]}"
    )
    print(
        f"throughput (untouched notebooks, one process): {result['throughput']:.1f} notebooks/s "
        f"CPU ({result['scan_cpu_s']:.1f} s CPU, {result['scan_wall_s']:.1f} s wall, "
        "loaded machine)"
    )
    if peer:
        print(f"detect-secrets: {peer['reported']} results in {peer['seconds']:.1f} s wall")


def _in_code(item: dict[str, Any]) -> bool:
    """Planted in a code cell's source: reported, never rewritten by redaction."""
    return item["family"] == "SEC" and item["output"] is None


def _code_kind(kind: str) -> bool:
    return any(w in kind for w in ("in code", "assigned", "set in the environment"))


def _family(kind: str) -> str:
    secret_words = ("token", "password", "environment", "URL", "Authorization")
    return "SEC" if any(w in kind for w in secret_words) else "PII"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--real", type=Path, default=REPO / "benchmarks" / ".cache" / "real_notebooks"
    )
    parser.add_argument("--split", choices=("dev", "heldout", "all"), default="dev")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if not (args.real / "manifest.json").exists():
        print(f"no real notebooks in {args.real}: using the generated corpus", file=sys.stderr)
        from benchmarks.bench_static_scan import CORPUS, ensure_corpus

        ensure_corpus(120, 0)
        files = sorted((CORPUS / "typical").glob("*.ipynb"))
    else:
        files = files_for_split(args.real, args.split)
    result = evaluate(files, peers=not args.no_peers)
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=list))


if __name__ == "__main__":
    main()
