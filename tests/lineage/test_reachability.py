"""Following edges from an input file reaches every output derived from it, and nothing else.

Each case runs real cells in a real IPython shell, in a given order (re-executions, cells run out
of order, cells deleted or edited between runs), then checks reachability in the graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nbsec.lineage.graph import LineageGraph

CSV = {
    "a.csv": "k,v\n1,10\n2,20\n",
    "b.csv": "k,w\n1,5\n2,6\n",
    "c.csv": "k,v\n7,70\n",
}

# (name, cells, steps, expectations)
# steps: ("run", index) | ("save", new_cells)
# expectations: input file -> (outputs that must be reachable, outputs that must not be)
CASES: list[tuple[str, list[str], list[tuple[str, Any]], dict[str, tuple[set[str], set[str]]]]] = [
    (
        "merge",
        [
            "import pandas as pd",
            "a = pd.read_csv('a.csv')",
            "b = pd.read_csv('b.csv')",
            "c = pd.read_csv('c.csv')",
            "m = a.merge(b, on='k')",
            "m.to_csv('merged.csv')",
            "c.to_csv('c_out.csv')\nsummary = len(c)",
        ],
        [("run", i) for i in range(7)],
        {
            "a.csv": ({"merged.csv", "var:m"}, {"c_out.csv", "var:summary", "var:c"}),
            "b.csv": ({"merged.csv"}, {"c_out.csv"}),
            "c.csv": ({"c_out.csv", "var:summary"}, {"merged.csv", "var:m"}),
        },
    ),
    (
        "out_of_order",
        ["import pandas as pd", "x = pd.read_csv('a.csv')", "x = pd.read_csv('b.csv')",
         "x.to_csv('out.csv')"],
        [("run", 0), ("run", 2), ("run", 1), ("run", 3)],
        {"a.csv": ({"out.csv"}, set()), "b.csv": (set(), {"out.csv"})},
    ),
    (
        "re_executed_after_edit",
        ["import pandas as pd", "src = 'a.csv'", "d = pd.read_csv(src)", "d.to_csv('o1.csv')"],
        [
            ("run", 0), ("run", 1), ("run", 2), ("run", 3),
            ("save", ["import pandas as pd", "src = 'b.csv'", "d = pd.read_csv(src)",
                      "d.to_csv('o1.csv')", "d.to_csv('o2.csv')"]),
            ("run", 1), ("run", 2), ("run", 4),
        ],
        {"a.csv": ({"o1.csv"}, {"o2.csv"}), "b.csv": ({"o2.csv"}, {"o1.csv"})},
    ),
    (
        "deleted_cell",
        ["import pandas as pd", "a = pd.read_csv('a.csv')", "tmp = a * 2",
         "tmp.to_csv('t.csv')", "c = pd.read_csv('c.csv')"],
        [
            ("run", 0), ("run", 1), ("run", 2), ("run", 4),
            ("save", ["import pandas as pd", "a = pd.read_csv('a.csv')", "tmp.to_csv('t.csv')",
                      "c = pd.read_csv('c.csv')"]),
            ("run", 2),
        ],
        {"a.csv": ({"t.csv", "var:tmp"}, set()), "c.csv": (set(), {"t.csv"})},
    ),
    (
        "in_place_mutation",
        [
            "import pandas as pd",
            "a = pd.read_csv('a.csv')",
            "b = pd.read_csv('b.csv')",
            "a['extra'] = b['w'].sum()",
            "a.to_csv('out.csv')",
            "other = pd.read_csv('c.csv')\nother.to_csv('o.csv')",
        ],
        [("run", i) for i in range(6)],
        {
            "b.csv": ({"out.csv"}, {"o.csv", "var:other"}),
            "a.csv": ({"out.csv"}, {"o.csv"}),
            "c.csv": ({"o.csv"}, {"out.csv"}),
        },
    ),
    (
        "function_reads_a_global",
        [
            "import pandas as pd",
            "lookup = pd.read_csv('b.csv')",
            "def enrich(frame):\n    return frame.merge(lookup, on='k')",
            "a = pd.read_csv('a.csv')",
            "e = enrich(a)\ne.to_csv('enriched.csv')",
            "plain = pd.read_csv('c.csv')\nplain.to_csv('plain.csv')",
        ],
        [("run", i) for i in range(6)],
        {"b.csv": ({"enriched.csv"}, {"plain.csv"})},
    ),
]  # fmt: skip


def _labels(graph: LineageGraph, reached: set[str]) -> set[str]:
    labels = set()
    for node in reached:
        if node.startswith("file:"):
            labels.add(Path(node[5:]).name)
        elif node.startswith("var:"):
            labels.add("var:" + node[4:].split("@")[0])
    return labels


@pytest.mark.parametrize(
    ("cells", "steps", "expectations"),
    [pytest.param(c, s, e, id=name) for name, c, s, e in CASES],
)
def test_reachability(
    make_session: Any,
    tmp_path: Path,
    cells: list[str],
    steps: list[tuple[str, Any]],
    expectations: dict[str, tuple[set[str], set[str]]],
) -> None:
    for name, text in CSV.items():
        (tmp_path / name).write_text(text)
    session = make_session(cells)
    for action, arg in steps:
        if action == "run":
            record = session.run(arg)
            assert record.error is None, (arg, record.error)
        else:
            session.save(arg)
    graph = session.tracker.graph()
    for source, (must, must_not) in expectations.items():
        start = f"file:{tmp_path / source}"
        assert start in graph.nodes, source
        reached = _labels(graph, graph.reachable(start))
        assert must <= reached, (source, must - reached)
        assert not (must_not & reached), (source, must_not & reached)


def test_deleted_cell_keeps_its_position_at_execution_time(
    make_session: Any, tmp_path: Path
) -> None:
    (tmp_path / "a.csv").write_text(CSV["a.csv"])
    session = make_session(["import pandas as pd", "a = pd.read_csv('a.csv')", "n = len(a)"])
    session.run_all()
    session.save(["import pandas as pd", "n = len(a)"])
    session.run(1)
    graph = session.tracker.graph()
    ids = [n for n in graph.nodes if n.startswith("cell:")]
    assert ids == ["cell:0@1", "cell:1@2", "cell:2@3", "cell:1@4"]
    used = [e for e in graph.edges if e["kind"] == "used" and e["dst"] == "cell:1@4"]
    assert [(e["src"], e["cell_index"]) for e in used] == [("var:a@2", 1)]


def test_json_contract_shape(make_session: Any, tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(CSV["a.csv"])
    session = make_session(["import pandas as pd\na = pd.read_csv('a.csv')", "a.to_csv('o.csv')"])
    session.run_all()
    data = session.tracker.graph().to_json()
    assert set(data) == {"cells", "nodes", "edges"}
    for cell in data["cells"]:
        for key in ("cell_index", "cell_id", "execution_count", "source_sha256", "defines",
                    "uses", "reads", "writes", "models"):  # fmt: skip
            assert key in cell
    kinds = {(e["src"].split(":")[0], e["dst"].split(":")[0], e["kind"]) for e in data["edges"]}
    assert kinds == {
        ("file", "cell", "read"),
        ("cell", "var", "defined"),
        ("var", "cell", "used"),
        ("cell", "file", "written"),
    }
    for edge in data["edges"]:
        assert set(edge) >= {"src", "dst", "kind", "cell_index"}
    assert {"id", "kind"} <= set(data["nodes"][0])
    rebuilt = LineageGraph.from_json(data)
    assert rebuilt.edges == session.tracker.graph().edges


def test_var_ancestors_follow_the_newest_version(make_session: Any, tmp_path: Path) -> None:
    for name, text in CSV.items():
        (tmp_path / name).write_text(text)
    session = make_session(
        [
            "import pandas as pd",
            "a = pd.read_csv('a.csv')\nb = pd.read_csv('b.csv')",
            "m = a.merge(b, on='k')",
            "c = pd.read_csv('c.csv')",
            "m = c.copy()",
        ]
    )
    session.run_all([0, 1, 2, 3])
    graph = session.tracker.graph()
    first = _labels(graph, set(graph.var_ancestors("m")))
    assert {"a.csv", "b.csv", "var:a", "var:b", "var:m"} <= first
    assert "c.csv" not in first
    session.run(4)  # m rebuilt from c: its newest version no longer derives from a or b
    graph = session.tracker.graph()
    assert graph.latest_var("m") == "var:m@5"
    second = _labels(graph, set(graph.var_ancestors("m")))
    assert {"c.csv", "var:c", "var:m"} <= second
    assert not {"a.csv", "b.csv"} & second
    with pytest.raises(KeyError):
        graph.var_ancestors("nothing")
