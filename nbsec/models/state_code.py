"""Object states that a reviewed class's ``__setstate__`` runs as code (NBS-PKL-027).

A scipy.stats distribution (``rv_generic`` and every ``*_gen`` class, ``rv_sample``,
``rv_histogram``) keeps the source of its argument parsers in ``_parse_arg_template``:
``rv_generic.__setstate__`` updates ``__dict__`` from the state (``dict.update``, so a dict or a
sequence of pairs) and then ``exec``\\ s that text. A stream can ship Python source there that
runs on load, or methods that run it on the first ``pmf``/``rvs`` call. scipy writes that text
from one template filled with the distribution's shape names (checked to be identifiers when the
distribution is made); a state entry is accepted only when it is exactly that template filled
with identifiers.

The class of a ``BUILD`` target cannot always be told (``builtins.type(x)`` and
``copyreg.__newobj__`` are on the allowlist, so a stream can make an instance of a class it got
from another object, and statsmodels subclasses scipy's distributions), so every ``BUILD`` is
checked except one on an object known to be of another library's class: made by another
library's class or function (``NEWOBJ``, a call, copyreg's reconstructors) that was handed no
class of scipy or statsmodels and nothing computed while loading. Flagged: a state that could
set ``_parse_arg_template`` to anything but the template, a key computed at load (a stand-in:
``_codecs.encode(..., "rot13")`` spells any name), and a state that is itself computed at load
(its keys are not known).

``BUILD`` is not the only way to reach ``__setstate__``: torch's
``_rebuild_from_type_v2(func, new_type, args, state)`` makes ``func(*args)`` and calls
``__setstate__(state)`` on it when ``new_type`` has its own, so its ``state`` argument is
checked the same way unless ``new_type`` is a named class of another library.

statsmodels' ``ModelData`` (``PandasData``, ``PatsyData``, ``FormulaicData``) pickles a model
fitted from a formula with ``restore_model_spec`` (``restore_design_info`` before statsmodels
0.15) and the formula text in its state; its ``__setstate__`` then rebuilds the design by
evaluating the formula with patsy or formulaic, where every term is a Python expression looked
up in the state's data and then in the loader's calling frames (``I(__import__('os')...)`` runs).
With either key in the state, ``formula`` must be text of names, numbers, grouping parentheses
and formula operators: no call, attribute, subscript or literal text.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from nbsec.models import inert
from nbsec.models.pickle_replay import Replay

CODE_KEY = "_parse_arg_template"
# Methods that a reviewed class's __setstate__ calls through ``self`` after it has put the state
# in ``__dict__``, where an instance attribute of that name wins over the class's method: a state
# entry of that name is a callable of the stream's choice, called on load. scipy.stats'
# rv_generic (``_attach_methods``, which calls ``_attach_argparser_methods``; ``__init__`` when
# ``dict.update`` raises ValueError part-way), scikit-learn's IsotonicRegression (``_build_f``
# with the thresholds), torch's Optimizer (``_patch_step_function``, which calls
# ``profile_hook_step`` on the class's ``step`` and stores the result on the class while no
# optimizer of that class has been made in the process). No pickle these libraries write has an
# instance attribute of these names.
CALLED_KEYS = frozenset(
    (
        "__init__",
        "_attach_methods",
        "_attach_argparser_methods",
        "_build_f",
        "_initialize",
        "_patch_step_function",
        "profile_hook_step",
    )
)
# keys that make statsmodels' ModelData.__setstate__ evaluate the state's ``formula``
FORMULA_KEYS = frozenset(("restore_model_spec", "restore_design_info"))
_FORMULA_TOKEN = re.compile(
    r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)|([0-9]+(?:\.[0-9]+)?)|(\*\*|[~+\-*/:()]))"
)
_FORMULA_MAX = 10_000
# scipy.stats._distn_infrastructure.parse_arg_template (unchanged since scipy 1.0)
_TEMPLATE = """
def _parse_args(self, %(shape_arg_str)s %(locscale_in)s):
    return (%(shape_arg_str)s), %(locscale_out)s

def _parse_args_rvs(self, %(shape_arg_str)s %(locscale_in)s, size=None):
    return self._argcheck_rvs(%(shape_arg_str)s %(locscale_out)s, size=size)

def _parse_args_stats(self, %(shape_arg_str)s %(locscale_in)s, moments='mv'):
    return (%(shape_arg_str)s), %(locscale_out)s, moments
"""
# (locscale_in, locscale_out) of rv_continuous, and of rv_discrete and rv_sample
_LOCSCALE = (("loc=0, scale=1", "loc, scale"), ("loc=0", "loc, 1"))
_HEAD = "\ndef _parse_args(self, "
_IDENTIFIER = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
_BUDGET = 4_000_000  # items looked at in the arguments that made BUILD targets, per stream
# libraries with classes whose __setstate__ runs state as code (scipy.stats' distributions, and
# statsmodels' subclasses of them)
_CODE_FAMILIES = ("scipy.", "statsmodels.")
# rebuilders that call ``new_type.__setstate__(state)`` on what ``func(*args)`` made:
# torch._tensor._rebuild_from_type_v2(func, new_type, args, state)
_SETSTATE_CALLERS = frozenset(("torch._tensor._rebuild_from_type_v2",))
_RECONSTRUCTORS = frozenset(
    ("copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__")
)


def argparser_template_ok(text: object) -> bool:
    """Is ``text`` what scipy writes into ``_parse_arg_template``: the template filled with
    shape names that are identifiers?"""
    if type(text) is not str or not text.startswith(_HEAD):
        return False
    cut = text.find("loc=0", len(_HEAD))
    if cut < 0:
        return False
    shapes = [s.strip() for s in text[len(_HEAD) : cut].split(",")]
    shapes = [s for s in shapes if s]
    if not all(_IDENTIFIER.match(s) and not keyword.iskeyword(s) for s in shapes):
        return False
    shape_arg_str = ", ".join(shapes) + ", " if shapes else ""
    return any(
        text
        == _TEMPLATE % {"shape_arg_str": shape_arg_str, "locscale_in": lin, "locscale_out": lout}
        for lin, lout in _LOCSCALE
    )


def formula_plain(text: object) -> bool:
    """Is ``text`` a formula whose terms patsy and formulaic evaluate as plain name lookups:
    names (no dunder), numbers, operators ``~ + - * / : **`` and parentheses that group (never
    after a name, number or ``)``, which would be a call)?"""
    if type(text) is not str or len(text) > _FORMULA_MAX:
        return False
    pos, prev, end = 0, "", len(text.rstrip())
    while pos < end:
        match = _FORMULA_TOKEN.match(text, pos)
        if match is None:
            return False
        name, number, op = match.groups()
        if name is not None:
            if name.startswith("__") or keyword.iskeyword(name):
                return False
            kind = "value"
        elif number is not None:
            kind = "value"
        else:
            if op == "(" and prev in ("value", ")"):
                return False
            kind = op
        if kind == "value" and prev in ("value", ")"):
            return False  # two terms with no operator between: not a formula patsy parses
        prev, pos = kind, match.end()
    return True


def code_states(replay: Replay) -> list[tuple[int, str]]:
    """(offset, reason) of every ``BUILD`` whose state could make a class's ``__setstate__``
    run code the stream chose."""
    found = []
    budget = [_BUDGET]  # items looked at in making arguments, over the whole stream
    judged: dict[int, str | None] = {}  # a state reused from the memo is read once
    called_judged: dict[int, str | None] = {}
    for event in replay.events:
        if event.kind != "build" or inert.global_name(event.target) is not None:
            continue  # state set on an imported object is NBS-PKL-022 already
        if _other_class(event.target, budget):
            if id(event.args) not in called_judged:
                called_judged[id(event.args)] = called_key_problem(event.args)
            called = called_judged[id(event.args)]
            if called is not None:
                found.append((event.offset, called))
            continue
        key = id(event.args)
        if key not in judged:
            judged[key] = _state_problem(event.args)
        reason = judged[key]
        if reason is not None:
            found.append((event.offset, reason))
    for event in replay.events:
        state = _state_handed(event)
        if state is not None:
            reason = _state_problem(state[0])
            if reason is not None:
                found.append((event.offset, reason))
    return found


def _state_handed(event: Any) -> tuple[Any] | None:
    """(state,) when ``event`` is a call of a rebuilder that hands its argument ``state`` to
    ``__setstate__`` of an object of a class the stream names and that class may be one whose
    ``__setstate__`` runs state as code, else None."""
    if event.kind != inert.CALL or inert.global_name(event.target) not in _SETSTATE_CALLERS:
        return None
    positional, keywords = event.args
    params = ("func", "new_type", "args", "state")
    bound = dict(zip(params, positional, strict=False))
    if isinstance(keywords, dict):
        bound.update((k, v) for k, v in keywords.items() if k in params)
    if "state" not in bound:
        return None  # the call raises before anything is restored
    new_type = inert.global_name(bound.get("new_type"))
    if new_type is not None and not _code_family(new_type):
        return None
    return (bound["state"],)


def _code_family(name: str) -> bool:
    return name.startswith(_CODE_FAMILIES)


def _other_class(target: Any, budget: list[int]) -> bool:
    """Is ``target`` known to be an object of a class outside the libraries whose classes run
    state as code: made from a named class of another library (``NEWOBJ``, copyreg's
    reconstructors, a call), or returned by another library's function that was handed no
    class of those libraries and nothing computed while loading (a function handed a class
    may make an object of it: ``pandas...._new_Index(cls, d)`` returns ``cls.__new__(cls)``)?"""
    data = inert.info(target)
    if data["kind"] not in (inert.NEW, inert.CALL):
        return False
    maker, args = data["data"]
    name = inert.global_name(maker)
    if name is None or _code_family(name):
        return False  # a computed class (``type(x)``), or one of scipy's
    try:
        handed: list[Any] = []
        _stand_ins(args, handed, budget)
    except _TooMany:
        return False  # not looked at in full: the state is checked
    if name in _RECONSTRUCTORS:
        first = handed[0] if handed else None
        return inert.global_name(first) is not None and not _code_family(
            str(inert.global_name(first))
        )
    for value in handed:
        handed_name = inert.global_name(value)
        if handed_name is None or _code_family(handed_name):
            return False
    return True


class _TooMany(Exception):
    pass


def _stand_ins(value: Any, out: list[Any], budget: list[int], depth: int = 0) -> None:
    budget[0] -= 1
    if depth > 32 or budget[0] < 0:
        raise _TooMany
    if inert.is_inert(value):
        out.append(value)
    elif isinstance(value, tuple | list | set | frozenset):
        for item in value:
            _stand_ins(item, out, budget, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _stand_ins(key, out, budget, depth + 1)
            _stand_ins(item, out, budget, depth + 1)


def _state_problem(state: Any) -> str | None:
    entries = _update_entries(state)
    if entries is None:
        return "the object's state is computed while loading"
    formula = _formula_problem(entries)
    if formula is not None:
        return formula
    for key, value in entries:
        if inert.is_inert(key):
            return "a key of the object's state is computed while loading"
        if key == CODE_KEY and not argparser_template_ok(value):
            return f"the state sets {CODE_KEY}, which scipy.stats' __setstate__ runs as code"
        if key in CALLED_KEYS:
            return f"the state sets {key}, which a reviewed class's __setstate__ calls"
    return None


def _formula_problem(entries: list[tuple[Any, Any]]) -> str | None:
    """statsmodels' ModelData.__setstate__ evaluates ``formula`` when the state holds one of
    ``FORMULA_KEYS``: its text must be a plain formula."""
    keys = [key for key, _ in entries if type(key) is str]
    if not FORMULA_KEYS.intersection(keys):
        return None
    formulas = [value for key, value in entries if type(key) is str and key == "formula"]
    if formulas and not formula_plain(formulas[-1]):
        return (
            "the state has a formula that statsmodels' __setstate__ evaluates, and its terms are "
            "more than names and numbers (calls, attributes or text run as Python on load)"
        )
    return None


def called_key_problem(state: Any) -> str | None:
    """For a ``BUILD`` on an object of any class: a state entry that shadows a method a reviewed
    class's ``__setstate__`` calls once the state is in ``__dict__``."""
    entries = _update_entries(state)
    for key, _ in entries or ():
        if type(key) is str and key in CALLED_KEYS:
            return f"the state sets {key}, which a reviewed class's __setstate__ calls"
    return None


def _update_entries(state: Any) -> list[tuple[Any, Any]] | None:
    """The (key, value) pairs ``dict.update(state)`` would store before it stops, or None when
    that depends on objects made while loading."""
    if isinstance(state, dict):
        return list(state.items())
    if inert.is_inert(state) or isinstance(state, set | frozenset):
        return None
    if not isinstance(state, tuple | list):
        return []  # dict.update raises before storing anything
    entries: list[tuple[Any, Any]] = []
    for item in state:
        if inert.is_inert(item) or isinstance(item, set | frozenset):
            if isinstance(item, set | frozenset) and len(item) != 2:
                break
            return None
        if isinstance(item, dict | tuple | list | str | bytes | bytearray):
            if len(item) != 2:
                break  # dict.update stops here
            first, second = list(item)
            entries.append((first, second))
            continue
        break  # not a sequence: dict.update stops here
    return entries
