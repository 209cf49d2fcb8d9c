"""What the AST says a cell loads, binds, mutates through and cannot be observed doing."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from nbsec.lineage.cell_names import analyse


@pytest.mark.parametrize(
    ("source", "loaded", "stored", "through", "unobserved"),
    [
        ("df = pd.read_csv(p)", {"pd", "p"}, {"df"}, set(), ()),
        ("df['c'] = df.a * 2", {"df"}, set(), {"df"}, ()),
        ("model.coef_ = w", {"model", "w"}, set(), {"model"}, ()),
        ("del cache[k]", {"cache", "k"}, set(), {"cache"}, ()),
        ("x += 1", {"x"}, {"x"}, set(), ()),
        ("lst[0] += 1", {"lst"}, set(), {"lst"}, ()),
        ("import numpy as np, os.path", set(), {"np", "os"}, set(), ()),
        ("from a.b import c as d, e", set(), {"d", "e"}, set(), ()),
        ("def f(a=default):\n    return hidden + a", {"default"}, {"f"}, set(), ()),
        ("@deco\nclass K(Base):\n    y = z", {"deco", "Base"}, {"K"}, set(), ()),
        ("squares = [i * i for i in data]", {"data", "i"}, {"squares"}, set(), ()),
        ("if (n := len(xs)) > 2: pass", {"len", "xs"}, {"n"}, set(), ()),
        ("for k, v in d.items():\n    out[k] = v", {"d", "out", "v", "k"}, {"k", "v"}, {"out"}, ()),
        ("with open(p) as fh:\n    t = fh.read()", {"open", "p", "fh"}, {"fh", "t"}, set(), ()),
        ("f = lambda q=w: q + r", {"w"}, {"f"}, set(), ()),
        ("%run other.py", {"get_ipython"}, set(), set(), ("%run",)),
        ("!ls -l", {"get_ipython"}, set(), set(), ("!shell",)),
        ("%%bash\necho hi", {"get_ipython"}, set(), set(), ("%bash",)),
        ("%timeit x + 1", {"get_ipython"}, set(), set(), ()),
    ],
)
def test_names_from_the_cell_ast(
    source: str, loaded: set[str], stored: set[str], through: set[str], unobserved: tuple[str, ...]
) -> None:
    shell = InteractiveShell.instance()
    names = analyse(shell.transform_cell(source))
    assert names.parsed
    assert names.loaded == loaded
    assert names.stored == stored
    assert names.stored_through == through
    assert names.unobserved == unobserved


@pytest.mark.parametrize("source", ["def (:", "x = = 1", "\x00"])
def test_unparsable_cells_give_empty_names(source: str) -> None:
    names = analyse(source)
    assert not names.parsed
    assert names.loaded == names.stored == frozenset()
