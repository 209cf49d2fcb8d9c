"""Personal data in the saved outputs of real public notebooks: nbsec beside presidio.

    PYTHONPATH=. python benchmarks/bench_pii_outputs.py [--split dev|holdout|all] [--list]

The notebooks and their hand labels are in ``pii/saved_outputs.py`` (read from local clones;
missing ones are skipped and named). nbsec runs its saved-output scan (tables per column with
row context, text line by line); presidio's ``AnalyzerEngine`` (offline, every predefined
pattern recognizer, no NER model: it finds no PERSON without one) reads the same text outputs,
its results at score >= 0.5 in the entity types nbsec reports for outputs. Precision is over
flagged items that carry a label (``strict P`` counts every unlabelled item as a false alarm:
presidio's are mostly digits of floats read as ids); recall over the labelled personal items (a
relative recall: the labels come from reviewing what either tool or a reader found). ``--list``
prints every flagged item with its label, for review.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "pii"))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import saved_outputs as so

Key = tuple[str, str, so.Item]


def nbsec_items(raw: bytes) -> dict[so.Item, str]:
    return dict(so.flagged(raw))


def presidio_items(engine: Any, raw: bytes) -> dict[so.Item, str]:
    from nbsec.source.output_pii import IGNORED_ENTITIES

    out: dict[so.Item, str] = {}
    for cell, text in so.output_texts(raw):
        for r in engine.analyze(text=text[:32_000], language="en"):
            if r.score >= 0.5 and r.entity_type not in IGNORED_ENTITIES:
                out.setdefault((cell, "text", text[r.start : r.end]), r.entity_type)
    return out


def score(
    found: dict[Key, str], notebooks: list[so.SavedNotebook]
) -> tuple[int, int, int, int, list[Key]]:
    """(true positives, false alarms, labelled positives, positives found, unlabelled)"""
    paths = {(nb.repo, nb.path) for nb in notebooks}
    tp = fp = 0
    unlabelled: list[Key] = []
    for key, entity in found.items():
        if key not in so.LABELS:
            unlabelled.append(key)
            continue
        label = so.LABELS[key]
        if label is not None and label == entity:
            tp += 1
        else:
            fp += 1
    positives = [k for k, v in so.LABELS.items() if v is not None and (k[0], k[1]) in paths]
    hit = sum(1 for k in positives if found.get(k) == so.LABELS[k])
    return tp, fp, len(positives), hit, unlabelled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="all", choices=("dev", "holdout", "all"))
    parser.add_argument("--skip-presidio", action="store_true")
    parser.add_argument("--list", action="store_true", help="print every flagged item")
    args = parser.parse_args()
    notebooks = [nb for nb in so.NOTEBOOKS if args.split in ("all", nb.split)]
    loaded: list[tuple[so.SavedNotebook, bytes]] = []
    missing = []
    for nb in notebooks:
        raw = so.load(nb)
        if raw is None:
            missing.append(f"{nb.repo}:{nb.path}")
        else:
            loaded.append((nb, raw))
    if missing:
        print(f"notebooks not found locally (skipped): {', '.join(missing)}")
    tools: dict[str, dict[Key, str]] = {}
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    tools["nbsec"] = {
        (nb.repo, nb.path, item): e for nb, raw in loaded for item, e in nbsec_items(raw).items()
    }
    seconds["nbsec"] = time.perf_counter() - start
    if not args.skip_presidio:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from bench_pii import presidio_engine

        engine = presidio_engine()
        start = time.perf_counter()
        tools["presidio AnalyzerEngine (no NER)"] = {
            (nb.repo, nb.path, item): e
            for nb, raw in loaded
            for item, e in presidio_items(engine, raw).items()
        }
        seconds["presidio AnalyzerEngine (no NER)"] = time.perf_counter() - start

    groups: dict[str, list[so.SavedNotebook]] = defaultdict(list)
    for nb, _ in loaded:
        groups[f"{nb.split}: {nb.repo}"].append(nb)
        groups[f"{nb.split}: all"].append(nb)
    print(f"\n{'group':<58}{'tool':<36}{'flagged':>8}{'P':>6}{'R':>6}{'F1':>6}{'strict P':>10}")
    for group in sorted(groups):
        members = groups[group]
        paths = {(nb.repo, nb.path) for nb in members}
        for tool, found in tools.items():
            mine = {k: v for k, v in found.items() if (k[0], k[1]) in paths}
            tp, fp, pos, hit, unlabelled = score(mine, members)
            p = tp / (tp + fp) if tp + fp else 1.0
            r = hit / pos if pos else 1.0
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            # strict: every item no one labelled counts as a false alarm
            flagged = tp + fp + len(unlabelled)
            strict = tp / flagged if flagged else 1.0
            extra = f"  ({len(unlabelled)} unlabelled)" if unlabelled else ""
            print(
                f"{group:<58}{tool:<36}{flagged:>8}{p:6.2f}{r:6.2f}{f1:6.2f}{strict:10.2f}{extra}"
            )
    for tool, s in seconds.items():
        print(f"time {tool}: {s:.2f} s")
    if args.list:
        for tool, found in tools.items():
            print(f"\n{tool}:")
            for key, entity in sorted(found.items(), key=lambda kv: str(kv[0])):
                label = so.LABELS.get(key, "?")
                print(
                    f"  {key[0]}:{key[1]} cell {key[2][0]} {key[2][1]} {key[2][2]!r}: "
                    f"{entity} (label {label})"
                )


if __name__ == "__main__":
    main()
