"""``nbsec ledger verify PATH...``: check lineage ledgers, alone or against their notebooks.

A ``PATH`` is a ledger (``.nbsec/ledger/*.jsonl``) or a notebook (``.ipynb``): for a notebook the
ledger named by its ``metadata.nbsec.ledger`` anchor is checked, and then against that anchor, so
a ledger rewritten with a recomputed chain, or cut short, since the notebook was saved fails too.
A keyed ledger's MACs are checked with the key the policy names (``ledger_key_env`` /
``ledger_key_file``) or ``--key-env`` / ``--key-file``.

Exit 0 when every ledger is intact, 1 when one is not (the first wrong line is reported), 2 when a
file cannot be read or a notebook has no ledger anchor.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.lineage.ledger import Anchor, VerifyResult

NAME = "ledger"
HELP = "verify lineage ledgers (.nbsec/ledger/*.jsonl), alone or against a notebook's anchor"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)
    verify = sub.add_parser(
        "verify", help="check a ledger and report the first wrong line", description=HELP
    )
    verify.add_argument(
        "files", nargs="+", metavar="PATH", help="ledger files (.jsonl) or notebooks (.ipynb)"
    )
    verify.add_argument("--format", choices=("text", "json"), default="text")
    verify.add_argument("--key-env", metavar="VAR", help="environment variable holding the key")
    verify.add_argument("--key-file", metavar="FILE", help="file holding the key")


@dataclass
class _Checked:
    result: VerifyResult
    notebook: Path | None = None
    anchor: Anchor | None = None
    note: str = ""


def run(args: argparse.Namespace) -> int:
    from nbsec.errors import InputError

    checked: list[_Checked] = []
    errors: list[str] = []
    for name in args.files:
        try:
            checked.append(_check(Path(name), args))
        except InputError as exc:
            errors.append(str(exc))
    if args.format == "json":
        json.dump({"ledgers": [_json(c) for c in checked], "errors": errors}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for c in checked:
            print(_text(c))
    for message in errors:
        print(f"nbsec: {message}", file=sys.stderr)
    if errors:
        return 2
    return 0 if all(c.result.ok for c in checked) else 1


def _check(path: Path, args: argparse.Namespace) -> _Checked:
    from nbsec.errors import InputError
    from nbsec.lineage.ledger import verify_against_anchor, verify_ledger

    if path.suffix != ".ipynb":
        return _Checked(verify_ledger(path, _key(args, path.parent)))
    anchor = _anchor(path)
    ledger = _confined(path, anchor.path)
    key = _key(args, path.parent)
    result = verify_ledger(ledger, key)
    note = ""
    if result.ok and result.keyed and key is None:
        note = "keyed ledger: give the key (--key-env/--key-file or the policy) to check its MACs"
    elif result.ok and anchor.keyed and not result.keyed:
        result.broken_line, result.reason = 1, "the notebook saved a keyed ledger; this one is not"
    if not result.ok:
        return _Checked(result, path, anchor, note)
    if anchor.session_id and result.lines:
        from nbsec.lineage.ledger import read_entries

        first = next(iter(read_entries(ledger)), {})
        if first.get("data", {}).get("session_id") != anchor.session_id:
            raise InputError(f"{ledger}: not the ledger of the session the notebook saved")
    return _Checked(verify_against_anchor(result, anchor), path, anchor, note)


def _anchor(notebook: Path) -> Anchor:
    from nbsec.errors import InputError
    from nbsec.lineage.ledger import Anchor

    try:
        data = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{notebook}: cannot read the notebook ({exc})") from None
    meta = data.get("metadata", {}) if isinstance(data, dict) else {}
    nbsec_meta = meta.get("nbsec", {}) if isinstance(meta, dict) else {}
    anchor = Anchor.from_metadata(
        nbsec_meta.get("ledger") if isinstance(nbsec_meta, dict) else None
    )
    if anchor is None:
        raise InputError(
            f"{notebook}: no ledger anchor in metadata.nbsec (save the notebook with the nbsec "
            "panel connected, or verify the ledger file itself)"
        )
    return anchor


def _confined(notebook: Path, pointer: str) -> Path:
    """The ledger a notebook names, which must be a file under its own ``.nbsec/ledger``."""
    from nbsec.errors import InputError
    from nbsec.lineage.ledger import LEDGER_DIR

    root = (notebook.parent / LEDGER_DIR).resolve()
    target = (notebook.parent / pointer).resolve()
    if target.parent != root or target.suffix != ".jsonl":
        raise InputError(f"{notebook}: the ledger it names is not under {LEDGER_DIR}")
    return target


def _key(args: argparse.Namespace, where: Path) -> bytes | None:
    from nbsec.lineage.ledger import read_key
    from nbsec.policy import load_policy

    if args.key_env or args.key_file:
        return read_key(args.key_env or "", args.key_file or "", Path.cwd())
    policy = load_policy(where)
    settings = policy.lineage
    if not (settings.ledger_key_env or settings.ledger_key_file):
        return None
    base = policy.source.parent if policy.source else None
    return read_key(settings.ledger_key_env, settings.ledger_key_file, base)


def _text(c: _Checked) -> str:
    r = c.result
    name = f"{c.notebook} ({r.path.name})" if c.notebook else str(r.path)
    if not r.ok:
        return f"{name}: BROKEN at line {r.broken_line}: {r.reason}"
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(r.kinds.items()))
    parts = [f"{name}: OK, {r.lines} lines ({kinds})"]
    if c.anchor is not None:
        parts.append(f"matches the notebook's anchor (line {c.anchor.lines})")
    if r.authenticated:
        parts.append("MACs checked")
    line = "; ".join(parts)
    return f"{line}\n  note: {c.note}" if c.note else line


def _json(c: _Checked) -> dict[str, Any]:
    r = c.result
    return {
        "path": str(r.path),
        "notebook": str(c.notebook) if c.notebook else None,
        "ok": r.ok,
        "lines": r.lines,
        "broken_line": r.broken_line,
        "reason": r.reason or None,
        "kinds": r.kinds,
        "anchor": None
        if c.anchor is None
        else {"lines": c.anchor.lines, "head": c.anchor.head, "keyed": c.anchor.keyed},
        "keyed": r.keyed,
        "authenticated": r.authenticated,
        "note": c.note or None,
    }
