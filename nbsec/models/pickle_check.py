"""Turn what a pickle stream would do (:mod:`nbsec.models.pickle_walker`) into findings.

* a denied global                              -> NBS-PKL-010 (critical: dangerous)
* a global not on the allowlist                -> NBS-PKL-011 (high: suspicious)
* an import whose name is computed at load     -> NBS-PKL-012 (critical)
* a broken stream that imports or calls a non-allowed global before the break
                                               -> NBS-PKL-013 (critical)
* a broken or truncated stream otherwise       -> NBS-PKL-014 (medium)
* an object from the extension registry        -> NBS-PKL-019 (high)
* byte strings that hold another pickle or archive are scanned as files of their own
  (NBS-PKL-015 records that they were, their findings are reported like any other).

Consecutive pickles in one stream (what ``pickle.load`` called in a loop, or torch's legacy
format, would read) are scanned too: a second pickle after ``STOP`` is not a hiding place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbsec.models.globals_judge import Judgement
from nbsec.models.pickle_walker import JOBLIB_ARRAY_WRAPPERS, WalkResult, walk

if TYPE_CHECKING:
    from nbsec.models.pickle_walker import Buffer
    from nbsec.models.scan_context import ScanContext

# What a following pickle can start with: PROTO, or the usual first opcodes of protocols 0-1.
_PICKLE_STARTS = frozenset(b"\x80c(i]}")
MAX_CONSECUTIVE = 1000


def check_pickle_stream(
    ctx: ScanContext,
    data: Buffer,
    start: int,
    end: int,
    where: str,
    depth: int,
    *,
    strict: bool = True,
    max_pickles: int = MAX_CONSECUTIVE,
) -> WalkResult:
    """Scan the pickle at ``start`` and any pickles that follow it up to ``end``.

    ``strict``: a first pickle that breaks is reported (a raw pickle file, a ``data.pkl``). When
    not strict (bytes that merely start like a pickle), a break with nothing imported is silence.
    Returns the walk of the first pickle.
    """
    first = walk(data, start, end)
    report_walk(ctx, data, first, where, depth, strict=strict)
    if any(g.name in JOBLIB_ARRAY_WRAPPERS for g in first.globals):
        # joblib.load steps over inline array bytes; pickle.load / torch.load would run them
        # as opcodes. Opcodes smuggled into "array data" are caught by the second reading.
        plain = walk(data, start, end, joblib_arrays=False)
        report_walk(ctx, data, plain, f"{where} (read as a plain pickle)", depth, strict=False)
    pos = first.end
    n = 1
    while first.ok and pos < end and n < max_pickles and data[pos] in _PICKLE_STARTS:
        nxt = walk(data, pos, end)
        report_walk(ctx, data, nxt, f"{where} (pickle #{n + 1})", depth, strict=False)
        if not nxt.ok:
            break
        pos = nxt.end
        n += 1
    return first


def report_walk(
    ctx: ScanContext, data: Buffer, res: WalkResult, where: str, depth: int, *, strict: bool
) -> None:
    judge = ctx.judge
    # Bytes that merely start like a pickle (a tensor record, trailing data) and do not parse:
    # random data can look like anything, so only a denied import is worth a word.
    if (
        not strict
        and not res.ok
        and not any(judge.judge(g.module, g.qualname) is Judgement.DENIED for g in res.globals)
    ):
        return
    bad_before_break = []
    for ref in res.globals:
        name = ref.name
        ctx.add_global(name)
        verdict = judge.judge(ref.module, ref.qualname)
        if verdict is Judgement.ALLOWED:
            continue
        bad_before_break.append(name)
        if verdict is Judgement.DENIED:
            ctx.report(
                "NBS-PKL-010",
                f"{where} at byte {ref.offset}: {ref.opcode} imports {name}, which can run code",
                key=f"{where}:{name}",
                evidence=name,
            )
        else:
            ctx.report(
                "NBS-PKL-011",
                f"{where} at byte {ref.offset}: {ref.opcode} imports {name}, "
                "which is not on the allowlist",
                key=f"{where}:{name}",
                evidence=name,
            )
    for offset in res.dynamic_globals:
        bad_before_break.append("<computed>")
        ctx.report(
            "NBS-PKL-012",
            f"{where} at byte {offset}: STACK_GLOBAL imports a name computed while loading",
            key=f"{where}:dynamic",
        )
    for name, offset in res.mutated_globals:
        bad_before_break.append(name)
        ctx.report(
            "NBS-PKL-022",
            f"{where} at byte {offset}: BUILD sets attributes on the imported object {name}",
            key=f"{where}:mutate:{name}",
            evidence=name,
        )
    for code, offset in res.extensions:
        bad_before_break.append(f"<extension {code}>")
        ctx.report(
            "NBS-PKL-019",
            f"{where} at byte {offset}: loads object {code} from the copyreg extension registry",
            key=f"{where}:ext:{code}",
        )
    if not res.ok:
        if bad_before_break:
            calls = [c.target or "<computed>" for c in res.calls]
            ctx.report(
                "NBS-PKL-013",
                f"{where}: stream breaks at byte {res.error_offset} ({res.error}) after importing "
                f"{', '.join(sorted(set(bad_before_break)))}"
                + (f" and calling {', '.join(sorted(set(calls)))}" if calls else ""),
                key=f"{where}:broken",
            )
        elif strict:
            ctx.report(
                "NBS-PKL-014",
                f"{where}: malformed pickle stream at byte {res.error_offset}: {res.error}",
                key=f"{where}:malformed",
            )
    for offset, length in res.nested:
        inner = f"{where} > bytes at {offset}"
        fmt = ctx.scan_member(data, offset, offset + length, inner, depth + 1)
        if fmt != "unknown":
            ctx.report(
                "NBS-PKL-015",
                f"{inner}: {length} bytes embedded in the pickle hold a {fmt} file; scanned",
                key=f"{inner}:nested",
            )
