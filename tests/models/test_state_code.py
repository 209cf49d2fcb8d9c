"""NBS-PKL-027: a scipy.stats distribution's ``__setstate__`` runs the state's
``_parse_arg_template`` as Python source. Every way a stream can put other text there is
dangerous; scipy's own text is not. Checked against the real loader: whenever the scan calls a
stream safe, loading it (and using the loaded object) runs none of the stream's code."""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from nbsec.models import scan_bytes
from nbsec.models.state_code import argparser_template_ok, formula_plain


def _g(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _s(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


P2, STOP, NEW0 = b"\x80\x02", b".", b")\x81"
PG = _g("scipy.stats._discrete_distns", "poisson_gen")
KEY = "_parse_arg_template"
PARSERS = (
    "def _parse_args(self, mu, loc=0): return (mu,), loc, 1\n"
    "def _parse_args_rvs(self, mu, loc=0, size=None): return (mu,), loc, 1, size\n"
    "def _parse_args_stats(self, mu, loc=0, moments='mv'): return (mu,), loc, 1, moments\n"
)
GOOD = (
    "\ndef _parse_args(self, mu,  loc=0):\n    return (mu, ), loc, 1\n\n"
    "def _parse_args_rvs(self, mu,  loc=0, size=None):\n"
    "    return self._argcheck_rvs(mu,  loc, 1, size=size)\n\n"
    "def _parse_args_stats(self, mu,  loc=0, moments='mv'):\n"
    "    return (mu, ), loc, 1, moments\n"
)


def _state(*pairs: tuple[bytes, bytes]) -> bytes:
    return b"}(" + b"".join(k + v for k, v in pairs) + b"u"


def _poisson(state: bytes, owner: bytes = PG + NEW0) -> bytes:
    """A distribution object built with ``state``, as scipy pickles one (plus its real state
    so that loading goes on to use it)."""
    return P2 + owner + state + b"b" + STOP


_ROT13 = _g("_codecs", "encode")


def _rot13(text: str) -> bytes:
    return _ROT13 + _s(text.translate(_ROT)) + _s("rot13") + b"\x86R"


_ROT = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "nopqrstuvwxyzabcdefghijklmNOPQRSTUVWXYZABCDEFGHIJKLM",
)


def _cases(canary: str) -> list[tuple[str, bytes, str]]:
    """(id, stream, verdict); the stream's code writes ``canary``."""
    code = f"open({canary!r}, 'w').write('ran')\n"
    return _table(code)


def _table(CODE: str) -> list[tuple[str, bytes, str]]:
    return [
    ("scipy's own text", _poisson(_state((_s(KEY), _s(GOOD)))), "safe"),
    ("scipy's text, two shapes", _poisson(_state((_s(KEY), _s(GOOD.replace("mu, ", "a, b, "))))),
     "safe"),
    ("code instead of the template", _poisson(_state((_s(KEY), _s(CODE + PARSERS)))),
     "dangerous"),
    ("code after the template", _poisson(_state((_s(KEY), _s(GOOD + CODE)))), "dangerous"),
    ("code in a default value", _poisson(_state((_s(KEY), _s(GOOD.replace(
     "loc=0", f"loc=[{CODE.strip()}][0] and 0", 1))))), "dangerous"),
    ("code in a shape name", _poisson(_state((_s(KEY), _s(GOOD.replace(
     "mu, ", f"mu=[{CODE.strip()}], ", 1))))), "dangerous"),
    ("code in a method body", _poisson(_state((_s(KEY), _s(GOOD.replace(
     "return (mu, ), loc, 1\n", f"{CODE.strip()}; return (mu, ), loc, 1\n", 1))))),
     "dangerous"),
    ("state as a tuple of pairs", _poisson(b"(" + _s(KEY) + _s(CODE + PARSERS) + b"\x86t"),
     "dangerous"),
    ("state as a list of two-key dicts", _poisson(b"]}(" + _s(KEY) + b"K\x01" + _s(CODE
     + PARSERS) + b"K\x02ua"), "dangerous"),
    ("key spelled by rot13", _poisson(b"}(" + _rot13(KEY) + _s(CODE + PARSERS) + b"u"),
     "dangerous"),
    ("template spelled by rot13", _poisson(b"}(" + _s(KEY) + _rot13(CODE + PARSERS) + b"u"),
     "dangerous"),
    ("state made by OrderedDict", _poisson(_g("collections", "OrderedDict") + b"](" + _s(KEY)
     + _s(CODE + PARSERS) + b"ta\x85R"), "dangerous"),
    ("class taken from an instance with type()", _poisson(_state((_s(KEY), _s(CODE + PARSERS))),
     _g("builtins", "type") + PG + NEW0 + b"\x85R" + NEW0), "dangerous"),
    ("instance made by pandas' _new_Index", _poisson(_state((_s(KEY), _s(CODE + PARSERS))),
     _g("pandas.core.indexes.base", "_new_Index") + PG + b"}\x86R"), "dangerous"),
    ("instance by copyreg._reconstructor", _poisson(_state((_s(KEY), _s(CODE + PARSERS))),
     _g("copyreg", "_reconstructor") + PG + _g("builtins", "object") + b"N\x87R"), "dangerous"),
    ("state handed to torch's _rebuild_from_type_v2", _rebuild(_s(CODE + PARSERS)), "dangerous"),
    ("torch's _rebuild_from_type_v2, scipy's own text", _rebuild(_s(GOOD)), "safe"),
]  # fmt: skip


def _rebuild(template: bytes) -> bytes:
    """``torch._tensor._rebuild_from_type_v2(copyreg._reconstructor, poisson_gen, (poisson_gen,
    object, None), state)``: calls ``poisson_gen.__setstate__(state)`` on the new object."""
    made = _g("copyreg", "_reconstructor") + PG + b"(" + PG + _g("builtins", "object") + b"Nt"
    state = b"}(" + _s(KEY) + template + b"u"
    rebuild = _g("torch._tensor", "_rebuild_from_type_v2")
    return P2 + rebuild + b"(" + made + state + b"tR" + STOP


CASES = _cases("/nonexistent/nbsec-canary")


@pytest.mark.parametrize(("stream", "verdict"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_state_code_table(stream: bytes, verdict: str) -> None:
    scan = scan_bytes(stream, name="d.pkl")
    assert scan.verdict == verdict, [(f.rule, f.message) for f in scan.findings]
    hits = [f for f in scan.findings if f.rule == "NBS-PKL-027"]
    assert bool(hits) == (verdict == "dangerous"), [(f.rule, f.message) for f in scan.findings]
    if hits:
        assert hits[0].location.path == "d.pkl"
        assert "at byte " in hits[0].message


def test_template_matches_the_installed_scipy() -> None:
    from scipy import stats
    from scipy.stats import _distn_infrastructure

    assert argparser_template_ok(GOOD)
    for dist in (stats.poisson, stats.norm, stats.gamma, stats.hypergeom, stats.levy_stable):
        assert argparser_template_ok(dist._parse_arg_template), dist.name
    sample = stats.rv_discrete(values=([0, 1], [0.5, 0.5]))
    assert argparser_template_ok(sample._parse_arg_template)
    assert "%(shape_arg_str)s" in _distn_infrastructure.parse_arg_template


_LOADER = r"""
import pickle, sys
data = bytes.fromhex(sys.stdin.read())
try:
    obj = pickle.loads(data)
    for call in (lambda: obj.pmf(1), lambda: obj.rvs(size=2), lambda: obj.stats(1)):
        try:
            call()
        except Exception:
            pass
except Exception:
    pass
"""


def test_safe_means_the_real_loader_runs_no_stream_code(tmp_path: Path) -> None:
    """Differential: every case loaded by scipy itself, then used; the canary the stream's code
    writes exists only for streams the scan called dangerous, and for most of them."""
    ran = {}
    for index, (label, _, _) in enumerate(CASES):
        canary = tmp_path / f"canary-{index}"
        data = _cases(str(canary))[index][1]
        scan = scan_bytes(data, name="d.pkl")
        subprocess.run(
            [sys.executable, "-c", _LOADER], input=data.hex(), text=True, timeout=120, check=True
        )
        ran[label] = (scan.verdict, canary.exists())
    assert [k for k, (verdict, hit) in ran.items() if verdict == "safe" and hit] == []
    # the cases are real attacks, not streams the loader refuses anyway
    assert sum(hit for _, hit in ran.values()) >= 8, ran


def test_real_distribution_pickles_stay_safe() -> None:
    from scipy import stats

    for frozen in (stats.poisson(3), stats.norm(1, 2), stats.levy_stable(1.5, 0.2)):
        for protocol in (0, 2, 5):
            scan = scan_bytes(pickle.dumps(frozen, protocol=protocol), name="d.pkl")
            assert scan.verdict == "safe", [(f.rule, f.message) for f in scan.findings]


_EXPR_LOADER = r"""
import os, pickle, sys
data = bytes.fromhex(sys.stdin.read())
try:
    pickle.loads(data)
except Exception:
    pass
"""


def test_expression_classes_are_dangerous(tmp_path: Path) -> None:
    """Making pandas' ``Expr`` parses its text and calls what it names, looked up in the globals
    of the code that called the loader: an allowed-looking class that runs code on load."""
    canary = tmp_path / "canary"
    text = f"os.system('touch {canary}')"
    for module in ("pandas.core.computation.expr", "pandas.core.computation.eval"):
        data = P2 + _g(module, "Expr") + _s(text) + b"\x85R" + STOP
        scan = scan_bytes(data, name="e.pkl")
        assert scan.verdict == "dangerous", [(f.rule, f.message) for f in scan.findings]
        assert any(f.rule == "NBS-PKL-010" for f in scan.findings)
    subprocess.run(
        [sys.executable, "-c", _EXPR_LOADER], input=data.hex(), text=True, timeout=120, check=True
    )
    assert canary.exists()  # the real loader ran the stream's command


def _dict(*pairs: tuple[bytes, bytes]) -> bytes:
    return b"}(" + b"".join(k + v for k, v in pairs) + b"u"


_DATA_HOME = _g("sklearn.datasets", "get_data_home")  # makes the directory it is given


def _called_cases(canary: str) -> list[tuple[str, bytes]]:
    """Streams whose state shadows a method the class's ``__setstate__`` calls; each call makes
    ``canary`` (a library function the scan takes as data when it is only stored)."""
    return [
        ("scipy _attach_methods", _poisson(_dict((_s(KEY), _s(GOOD)),
         (_s("_attach_methods"), _DATA_HOME)))),
        ("scipy __init__ after a failed update", _poisson(b"](" + _s("__init__") + _DATA_HOME
         + b"\x86" + _s("abc") + b"e")),
        ("scikit-learn IsotonicRegression _build_f", P2 + _g("sklearn.isotonic",
         "IsotonicRegression") + NEW0 + _dict((_s("X_thresholds_"), _s(canary)),
         (_s("y_thresholds_"), b"]G?\xf0\x00\x00\x00\x00\x00\x00a"),
         (_s("_build_f"), _g("numpy", "savetxt"))) + b"b" + STOP),
        ("torch Optimizer _patch_step_function", P2 + _g("torch.optim.sgd", "SGD") + NEW0
         + _dict((_s("_patch_step_function"), _DATA_HOME), (_s("defaults"), b"}")) + b"b" + STOP),
    ]  # fmt: skip


@pytest.mark.parametrize("index", range(4), ids=[c[0] for c in _called_cases("-")])
def test_state_that_shadows_a_called_method_is_dangerous(tmp_path: Path, index: int) -> None:
    """The stream's callable runs under the real loader, and the scan says dangerous."""
    canary = tmp_path / "canary"
    label, data = _called_cases(str(canary))[index]
    scan = scan_bytes(data, name="d.pkl")
    assert scan.verdict == "dangerous", [(f.rule, f.message) for f in scan.findings]
    assert [f.rule for f in scan.findings if f.rule == "NBS-PKL-027"], label
    env = {**os.environ, "SCIKIT_LEARN_DATA": str(canary)}
    subprocess.run(
        [sys.executable, "-c", _EXPR_LOADER], input=data.hex(), text=True, timeout=120,
        check=True, env=env,
    )  # fmt: skip
    assert canary.exists(), label  # the real loader called it


def test_real_estimators_and_optimizers_stay_safe() -> None:
    import numpy as np
    import torch
    from sklearn.isotonic import IsotonicRegression

    model = IsotonicRegression().fit(np.arange(5.0), np.arange(5.0) ** 2)
    opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1)
    for obj in (model, opt):
        for protocol in (2, 5):
            scan = scan_bytes(pickle.dumps(obj, protocol=protocol), name="d.pkl")
            assert scan.verdict == "safe", [(f.rule, f.message) for f in scan.findings]


def test_memmap_constructor_is_dangerous(tmp_path: Path) -> None:
    """``numpy.memmap(path, mode="w+")`` creates or truncates the file it is given, under every
    spelling of the class the unpickler can resolve."""
    target = tmp_path / "made"
    for module, name in (
        ("numpy._core.memmap", "memmap"),
        ("numpy._core", "memmap"),
        ("numpy.matlib", "memmap"),
        ("numpy", "memmap"),
    ):
        data = (
            P2 + _g(module, name) + b"(" + _s(str(target)) + _g("numpy", "uint8") + _s("w+")
            + b"K\x00K\x04tR" + STOP
        )  # fmt: skip
        scan = scan_bytes(data, name="m.pkl")
        assert scan.verdict == "dangerous", (module, [(f.rule, f.message) for f in scan.findings])
    subprocess.run(
        [sys.executable, "-c", _EXPR_LOADER], input=data.hex(), text=True, timeout=120, check=True
    )
    assert target.exists()  # the real loader wrote the file


_STEP_LOADER = r"""
import pickle, sys
import torch
data = bytes.fromhex(sys.stdin.read())
try:
    pickle.loads(data)
except Exception:
    pass
print(type(torch.optim.SGD.step).__name__)
"""


def test_optimizer_profile_hook_step_from_the_state_is_dangerous() -> None:
    """In a process that has made no SGD yet, ``Optimizer._patch_step_function`` replaces
    ``SGD.step`` (on the class) by what ``self.profile_hook_step`` returns: a state entry of
    that name chooses it (here ``str``, so the class's ``step`` becomes a string)."""
    data = (
        P2 + _g("torch.optim.sgd", "SGD") + NEW0
        + _dict((_s("profile_hook_step"), _g("builtins", "str")), (_s("defaults"), b"}"))
        + b"b" + STOP
    )  # fmt: skip
    scan = scan_bytes(data, name="d.pkl")
    assert scan.verdict == "dangerous", [(f.rule, f.message) for f in scan.findings]
    assert any(f.rule == "NBS-PKL-027" for f in scan.findings)
    out = subprocess.run(
        [sys.executable, "-c", _STEP_LOADER], input=data.hex(), text=True, timeout=120,
        check=True, capture_output=True,
    )  # fmt: skip
    assert out.stdout.strip() == "str"  # the real loader called the stream's choice


_SM_DATA = "statsmodels.base.data"
_FORMULA_FRAME = _dict((_s("y"), b"](K\x01K\x02K\x03e"), (_s("x"), b"](K\x04K\x05K\x07e"))


def _evil_formula(canary: str) -> str:
    return f"y ~ x + I(x * len(str(__import__('pathlib').Path({canary!r}).touch())))"


def _model_data(formula: bytes, key: str = "restore_model_spec", cls: str = "ModelData") -> bytes:
    """A statsmodels ``ModelData`` built as statsmodels pickles one fitted from a formula."""
    state = _dict((_s(key), b"\x88"), (_s("formula"), formula), (_s("frame"), _FORMULA_FRAME))
    return P2 + _g(_SM_DATA, cls) + NEW0 + state + b"b" + STOP


def _formula_cases(canary: str) -> list[tuple[str, bytes, str]]:
    evil = _evil_formula(canary)
    return [
        ("plain formula", _model_data(_s("y ~ x + 1")), "safe"),
        ("plain formula, patsy key", _model_data(_s("y ~ x - 1"), "restore_design_info"), "safe"),
        ("code in the formula", _model_data(_s(evil)), "dangerous"),
        ("code in the formula, PandasData", _model_data(_s(evil), cls="PandasData"), "dangerous"),
        ("code in the formula, PatsyData", _model_data(_s(evil), cls="PatsyData"), "dangerous"),
        ("code in the formula, FormulaicData", _model_data(_s(evil), cls="FormulaicData"),
         "dangerous"),
        ("code in the formula, patsy key", _model_data(_s(evil), "restore_design_info"),
         "dangerous"),
        ("formula spelled by rot13", _model_data(_rot13(evil)), "dangerous"),
        ("instance by copyreg._reconstructor", P2 + _g("copyreg", "_reconstructor")
         + _g(_SM_DATA, "PandasData") + _g("builtins", "object") + b"N\x87R"
         + _dict((_s("restore_model_spec"), b"\x88"), (_s("formula"), _s(evil)),
                 (_s("frame"), _FORMULA_FRAME)) + b"b" + STOP, "dangerous"),
        ("NegativeBinomial _initialize", P2 + _g("statsmodels.discrete.discrete_model",
         "NegativeBinomial") + NEW0 + _dict((_s("_initialize"), _DATA_HOME),
         (_s("loglike_method"), _s("nb2"))) + b"b" + STOP, "dangerous"),
    ]  # fmt: skip


FORMULA_CASES = _formula_cases("/nonexistent/nbsec-canary")


@pytest.mark.parametrize(
    ("stream", "verdict"), [c[1:] for c in FORMULA_CASES], ids=[c[0] for c in FORMULA_CASES]
)
def test_statsmodels_formula_state_table(stream: bytes, verdict: str) -> None:
    """statsmodels' ``ModelData.__setstate__`` evaluates the state's formula with patsy or
    formulaic when the state holds a restore key; ``NegativeBinomial.__setstate__`` calls
    ``self._initialize()``. Judged from the bytes alone, with no statsmodels installed."""
    scan = scan_bytes(stream, name="d.pkl")
    assert scan.verdict == verdict, [(f.rule, f.message) for f in scan.findings]
    hits = [f for f in scan.findings if f.rule == "NBS-PKL-027"]
    assert bool(hits) == (verdict == "dangerous"), [(f.rule, f.message) for f in scan.findings]


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("y ~ x", True),
        ("y ~ x1 + x2 + x1:x2 - 1", True),
        ("y ~ (a + b)**2", True),
        ("y ~ 0 + x * 1.5", True),
        ("y ~ C(g)", False),
        ("y ~ np.log(x)", False),
        ("y ~ I(__import__('os'))", False),
        ("y ~ x[0]", False),
        ("y ~ (x)(y)", False),
        ("y ~ __builtins__", False),
        ("y ~ x if x else y", False),
        ("y ~ `x`", False),
        ("y ~ {x}", False),
        (b"y ~ x", False),
    ],
)
def test_formula_plain(text: object, plain: bool) -> None:
    assert formula_plain(text) is plain


_NESTED_LOADER = r"""
import pickle, sys, warnings
warnings.simplefilter("ignore")
data = bytes.fromhex(sys.stdin.read())

def load(raw):
    return pickle.loads(raw)

def main():
    try:
        load(data)
    except Exception:
        pass

main()
"""


def test_statsmodels_formula_states_under_the_real_loader(tmp_path: Path) -> None:
    """Differential with statsmodels itself (loaded from a function, as a kernel or a script
    does, so that the formula's frame depth exists): the stream's code runs for the formula and
    ``_initialize`` cases, and only where the scan said dangerous."""
    pytest.importorskip("statsmodels")
    pytest.importorskip("sklearn")
    ran = {}
    for index, (label, _, _) in enumerate(FORMULA_CASES):
        canary = tmp_path / f"canary-{index}"
        data = _formula_cases(str(canary))[index][1]
        scan = scan_bytes(data, name="d.pkl")
        env = {**os.environ, "SCIKIT_LEARN_DATA": str(canary)}
        subprocess.run(
            [sys.executable, "-c", _NESTED_LOADER], input=data.hex(), text=True, timeout=300,
            check=True, env=env,
        )  # fmt: skip
        ran[label] = (scan.verdict, canary.exists())
    assert [k for k, (verdict, hit) in ran.items() if verdict == "safe" and hit] == []
    assert sum(hit for _, hit in ran.values()) >= 6, ran


def test_real_statsmodels_pickles() -> None:
    """A fitted OLS from a plain formula or from arrays, with ``save()`` and ``remove_data()``,
    and a fitted NegativeBinomial stay safe; a formula with function terms is code the loader
    evaluates, so it is reported."""
    pytest.importorskip("statsmodels")
    import io

    import numpy as np
    import pandas as pd
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "y": rng.normal(size=30),
            "x": np.arange(30.0),
            "g": list("ab") * 15,
            "n": rng.poisson(2, 30),
        }
    )
    plain = smf.ols("y ~ x + g", frame).fit()
    saved = io.BytesIO()
    plain.save(saved)
    stripped = smf.ols("y ~ x", frame).fit()
    stripped.remove_data()
    arrays = sm.OLS(frame["y"], sm.add_constant(frame["x"])).fit()
    negbin = sm.NegativeBinomial(frame["n"], sm.add_constant(frame["x"])).fit(disp=0)
    for protocol in (2, 5):
        for obj in (plain, stripped, arrays, negbin):
            scan = scan_bytes(pickle.dumps(obj, protocol=protocol), name="d.pkl")
            assert scan.verdict == "safe", [(f.rule, f.message) for f in scan.findings]
    scan = scan_bytes(saved.getvalue(), name="d.pkl")
    assert scan.verdict == "safe", [(f.rule, f.message) for f in scan.findings]
    calls = smf.ols("y ~ np.log(x + 1) + C(g)", frame).fit()
    scan = scan_bytes(pickle.dumps(calls), name="d.pkl")
    assert scan.verdict == "dangerous"
    assert any(f.rule == "NBS-PKL-027" for f in scan.findings)
