"""OpenLineage RunEvents: one per cell execution, each a child of the kernel-session run.

Shape (OpenLineage 2-0-2): the session is a run of job ``<job_name>`` with a ``START`` event
first and a ``COMPLETE`` event last; each cell execution is a run of job
``<job_name>.cell_<index>`` with a ``parent`` facet (ParentRunFacet) naming the session run, and
``eventType`` ``COMPLETE`` (or ``FAIL`` with an ``errorMessage`` facet holding the exception
type only). Inputs and outputs are datasets:

- files: namespace ``file``, name the absolute path; URLs: namespace ``scheme://host``, name the
  path (query values hashed); both with a ``version`` facet (the SHA-256) when known;
- variables a cell defined or used: namespace ``nbsec-kernel://<session id>``, name
  ``<variable>@<execution_count>``, with a ``version`` facet (the fingerprint, when known);
- a ``schema`` facet (column names and dtypes) on frames, and on a file when the cell that read
  it defined exactly one frame (or wrote it from exactly one frame).

Run ids are UUIDs derived from the session id and the record's sequence number, so exporting
the same ledger twice gives the same events. Built as plain dicts: the openlineage-python client
is not needed at run time (the tests check the events against its classes).
"""

from __future__ import annotations

import urllib.parse
import uuid
from typing import TYPE_CHECKING, Any

from nbsec.lineage.graph import var_node_id
from nbsec.lineage.records import Access, CellRecord, VariableInfo

if TYPE_CHECKING:
    from nbsec.lineage.graph import LineageGraph

PRODUCER = "https://github.com/nbsec/nbsec"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
_FACET_URLS = {
    "parent": "https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet",
    "jobType": "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
    "version": "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json"
    "#/$defs/DatasetVersionDatasetFacet",
    "schema": "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json"
    "#/$defs/SchemaDatasetFacet",
    "errorMessage": "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json"
    "#/$defs/ErrorMessageRunFacet",
}
_NAMESPACE = uuid.UUID("6f1c1b1e-5d0e-4a53-9a55-2c3b8f1d0a10")


def _facet(name: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": _FACET_URLS[name], **fields}


def run_id(session_id: str, seq: int | str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{session_id}/{seq}"))


def to_openlineage(
    graph: LineageGraph, *, job_namespace: str = "nbsec", job_name: str = "notebook"
) -> list[dict[str, Any]]:
    records = graph.records
    session = next((r.session_id for r in records if r.session_id), None) or "session"
    session_run = run_id(session, "session")
    first = records[0].started if records else _epoch()
    last = records[-1].started if records else _epoch()
    events: list[dict[str, Any]] = [
        _event("START", first, session_run, job_namespace, job_name, [], [], session=True)
    ]
    current: dict[str, tuple[str, VariableInfo | None]] = {}
    for record in records:
        inputs = [_access_dataset(a, _frame_schema(record, record.defines)) for a in record.reads]
        for name in record.uses:
            if name in current:
                node, info = current[name]
                inputs.append(_var_dataset(session, node, info))
        outputs = []
        for name in (*record.defines, *record.mutated):
            node = var_node_id(name, record)
            info = record.variables.get(name)
            current[name] = (node, info)
            outputs.append(_var_dataset(session, node, info))
        used_infos = [current[n][1] for n in record.uses if n in current]
        write_schema = _single_schema(used_infos)
        outputs.extend(_access_dataset(a, write_schema) for a in record.writes)
        for name in record.deleted:
            current.pop(name, None)
        cell = "unknown" if record.cell_index is None else str(record.cell_index)
        run_facets: dict[str, Any] = {
            "parent": _facet(
                "parent",
                run={"runId": session_run},
                job={"namespace": job_namespace, "name": job_name},
            )
        }
        if record.error:
            run_facets["errorMessage"] = _facet(
                "errorMessage", message=record.error, programmingLanguage="python"
            )
        events.append(
            _event(
                "FAIL" if record.error else "COMPLETE",
                record.started or _epoch(),
                run_id(session, record.seq),
                job_namespace,
                f"{job_name}.cell_{cell}",
                inputs,
                outputs,
                run_facets=run_facets,
            )
        )
    events.append(
        _event("COMPLETE", last, session_run, job_namespace, job_name, [], [], session=True)
    )
    return events


def _epoch() -> str:
    return "1970-01-01T00:00:00.000Z"


def _event(
    event_type: str,
    when: str,
    run: str,
    namespace: str,
    name: str,
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    *,
    run_facets: dict[str, Any] | None = None,
    session: bool = False,
) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "eventTime": _iso(when),
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": run, "facets": run_facets or {}},
        "job": {
            "namespace": namespace,
            "name": name,
            "facets": {
                "jobType": _facet(
                    "jobType",
                    processingType="BATCH",
                    integration="NBSEC",
                    jobType="NOTEBOOK" if session else "NOTEBOOK_CELL",
                )
            },
        },
        "inputs": [{**d, "inputFacets": {}} for d in inputs],
        "outputs": [{**d, "outputFacets": {}} for d in outputs],
    }


def _iso(when: str) -> str:
    text = when.replace("+00:00", "Z")
    return text if text.endswith("Z") else text + "Z"


def _access_dataset(access: Access, schema: VariableInfo | None) -> dict[str, Any]:
    if access.kind == "file":
        namespace, name = "file", access.uri
    else:
        parts = urllib.parse.urlsplit(access.uri)
        namespace = f"{parts.scheme}://{parts.netloc}"
        name = parts.path + (f"?{parts.query}" if parts.query else "") or "/"
    facets: dict[str, Any] = {}
    if access.sha256:
        facets["version"] = _facet("version", datasetVersion=access.sha256)
    if schema is not None and schema.columns:
        facets["schema"] = _schema_facet(schema)
    return {"namespace": namespace, "name": name, "facets": facets}


def _var_dataset(session: str, node: str, info: VariableInfo | None) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    if info is not None and info.fingerprint:
        facets["version"] = _facet("version", datasetVersion=info.fingerprint)
    if info is not None and info.columns:
        facets["schema"] = _schema_facet(info)
    return {
        "namespace": f"nbsec-kernel://{session}",
        "name": node.removeprefix("var:"),
        "facets": facets,
    }


def _schema_facet(info: VariableInfo) -> dict[str, Any]:
    return _facet(
        "schema",
        fields=[{"name": name, "type": dtype} for name, dtype in info.columns or ()],
    )


def _frame_schema(record: CellRecord, names: list[str]) -> VariableInfo | None:
    return _single_schema([record.variables.get(n) for n in names])


def _single_schema(infos: list[VariableInfo | None]) -> VariableInfo | None:
    frames = [i for i in infos if i is not None and i.columns]
    return frames[0] if len(frames) == 1 else None
