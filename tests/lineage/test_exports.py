"""OpenLineage, PROV-JSON and Mermaid exports of a real session's lineage.

openlineage-python ships no JSON schema files (nor does openlineage-integration-common for the
core spec), so each event is rebuilt with the client's own generated attrs classes -- which
validate event time, run id, schema URLs and required fields -- and serialised back with the
client's ``Serde``; it must come out identical to what nbsec wrote."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from nbsec.lineage.graph import LineageGraph

ol = pytest.importorskip("openlineage.client.event_v2")
from openlineage.client.facet_v2 import (  # noqa: E402
    dataset_version_dataset,
    error_message_run,
    job_type_job,
    parent_run,
    schema_dataset,
)
from openlineage.client.serde import Serde  # noqa: E402

CELLS = [
    "import pandas as pd",
    "a = pd.read_csv('a.csv')",
    "b = a.assign(c=a.v * 2)",
    "b.to_csv('out.csv')",
    "missing_name",
]


@pytest.fixture
def graph(make_session: Any, tmp_path: Path) -> LineageGraph:
    (tmp_path / "a.csv").write_text("k,v\n1,10\n2,20\n")
    session = make_session(CELLS)
    session.run_all()
    g: LineageGraph = session.tracker.graph()
    return g


def _facet(kind: Any, data: dict[str, Any], **fields: Any) -> Any:
    return kind(**fields, producer=data["_producer"])


def _dataset_facets(facets: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, data in facets.items():
        if key == "version":
            out[key] = _facet(
                dataset_version_dataset.DatasetVersionDatasetFacet,
                data,
                datasetVersion=data["datasetVersion"],
            )
        elif key == "schema":
            fields = [
                schema_dataset.SchemaDatasetFacetFields(name=f["name"], type=f["type"])
                for f in data["fields"]
            ]
            out[key] = _facet(schema_dataset.SchemaDatasetFacet, data, fields=fields)
        else:
            raise AssertionError(f"unexpected dataset facet {key}")
    return out


def _rebuild(event: dict[str, Any]) -> Any:
    run_facets: dict[str, Any] = {}
    for key, data in event["run"]["facets"].items():
        if key == "parent":
            run_facets[key] = _facet(
                parent_run.ParentRunFacet,
                data,
                run=parent_run.Run(runId=data["run"]["runId"]),
                job=parent_run.Job(namespace=data["job"]["namespace"], name=data["job"]["name"]),
            )
        elif key == "errorMessage":
            run_facets[key] = _facet(
                error_message_run.ErrorMessageRunFacet,
                data,
                message=data["message"],
                programmingLanguage=data["programmingLanguage"],
            )
        else:
            raise AssertionError(f"unexpected run facet {key}")
    job_type = event["job"]["facets"]["jobType"]
    return ol.RunEvent(
        eventType=ol.RunState[event["eventType"]],
        eventTime=event["eventTime"],
        run=ol.Run(runId=event["run"]["runId"], facets=run_facets),
        job=ol.Job(
            namespace=event["job"]["namespace"],
            name=event["job"]["name"],
            facets={
                "jobType": _facet(
                    job_type_job.JobTypeJobFacet,
                    job_type,
                    processingType=job_type["processingType"],
                    integration=job_type["integration"],
                    jobType=job_type["jobType"],
                )
            },
        ),
        inputs=[
            ol.InputDataset(
                namespace=d["namespace"], name=d["name"], facets=_dataset_facets(d["facets"])
            )
            for d in event["inputs"]
        ],
        outputs=[
            ol.OutputDataset(
                namespace=d["namespace"], name=d["name"], facets=_dataset_facets(d["facets"])
            )
            for d in event["outputs"]
        ],
        producer=event["producer"],
    )


def _normalise(value: Any) -> Any:
    """Drop empty containers (the client adds ``"fields": []`` to schema fields)."""
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items() if v not in ([], {}, None)}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def test_openlineage_events_match_the_client_model(graph: LineageGraph) -> None:
    events = graph.to_openlineage(job_name="nb")
    assert [e["eventType"] for e in events] == ["START"] + ["COMPLETE"] * 4 + ["FAIL", "COMPLETE"]
    for event in events:
        rebuilt = Serde.to_dict(_rebuild(event))
        assert _normalise(rebuilt) == _normalise(json.loads(json.dumps(event)))
        uuid.UUID(event["run"]["runId"])


def test_openlineage_cells_are_children_of_the_session_run(graph: LineageGraph) -> None:
    events = graph.to_openlineage(job_name="nb")
    session_run = events[0]["run"]["runId"]
    assert events[-1]["run"]["runId"] == session_run
    cells = events[1:-1]
    assert [e["job"]["name"] for e in cells] == [f"nb.cell_{i}" for i in range(5)]
    for event in cells:
        assert event["run"]["facets"]["parent"]["run"]["runId"] == session_run
    assert len({e["run"]["runId"] for e in cells}) == 5
    assert graph.to_openlineage(job_name="nb") == events  # stable ids


def test_openlineage_datasets_have_version_and_schema(graph: LineageGraph, tmp_path: Path) -> None:
    read_cell, write_cell = (
        graph.to_openlineage(job_name="nb")[2],
        graph.to_openlineage(job_name="nb")[4],
    )
    source = next(d for d in read_cell["inputs"] if d["namespace"] == "file")
    assert source["name"] == str(tmp_path / "a.csv")
    assert re.fullmatch(r"[0-9a-f]{64}", source["facets"]["version"]["datasetVersion"])
    assert [f["name"] for f in source["facets"]["schema"]["fields"]] == ["k", "v"]
    output = next(d for d in write_cell["outputs"] if d["namespace"] == "file")
    assert [f["name"] for f in output["facets"]["schema"]["fields"]] == ["k", "v", "c"]
    variable = next(d for d in write_cell["inputs"] if d["namespace"].startswith("nbsec-kernel://"))
    assert variable["name"] == "b@3"
    failed = graph.to_openlineage(job_name="nb")[5]
    assert failed["run"]["facets"]["errorMessage"]["message"] == "NameError"


def test_prov_json_loads_in_the_prov_library(graph: LineageGraph, tmp_path: Path) -> None:
    prov_model = pytest.importorskip("prov.model")
    data = graph.to_prov()
    doc = prov_model.ProvDocument.deserialize(content=json.dumps(data), format="json")
    records = doc.get_records()
    counts: dict[str, int] = {}
    for record in records:
        counts[type(record).__name__] = counts.get(type(record).__name__, 0) + 1
    assert counts["ProvActivity"] == 5
    assert counts["ProvEntity"] == len([n for n in graph.nodes.values() if n["kind"] != "cell"])
    assert counts["ProvUsage"] == len(data["used"])
    assert counts["ProvGeneration"] == len(data["wasGeneratedBy"])
    derived = {
        (d["prov:generatedEntity"], d["prov:usedEntity"]) for d in data["wasDerivedFrom"].values()
    }
    assert (f"file:{tmp_path / 'out.csv'}", "var:b@3") in derived
    assert ("var:a@2", f"file:{tmp_path / 'a.csv'}") in derived


def test_mermaid_declares_every_node_and_escapes_labels(make_session: Any, tmp_path: Path) -> None:
    odd = 'we"ird [name] <x>.csv'
    (tmp_path / odd).write_text("a\n1\n")
    session = make_session([f"data = open({odd!r}).read()"])
    session.run(0)
    text = session.tracker.graph().to_mermaid()
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    declared = {re.match(r"\s+(n\d+)", line).group(1) for line in lines[1:] if "-->" not in line}  # type: ignore[union-attr]
    for line in lines[1:]:
        if "-->" in line:
            src, dst = re.findall(r"\bn\d+\b", line)
            assert {src, dst} <= declared
    assert '"' not in odd.join(text.split(odd)).replace('("', "").replace('")', "").replace(
        '["', ""
    ).replace('"]', "")
    assert "#34;" in text and "#60;" in text
    # cells are labelled as the notebook numbers them: the first cell, first run
    assert re.search(r'n\d+\("cell 1 \[1\]"\)', text) or "cell 1 [1]" in text
