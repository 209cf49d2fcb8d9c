"""The CycloneDX 1.6 ML-BOM of a report, built with ``cyclonedx-python-lib``.

Components:

* the notebook itself (``metadata.component``, type ``application``, with its sha256);
* every model or pickle loaded, downloaded or named (``machine-learning-model``), with its sha256,
  source, revision, verdict and the globals it imports as ``nbsec:`` properties, and a
  ``modelCard`` where something is known: the datasets it was derived from (lineage), its format,
  and the notebook's stated intended use;
* every file or URL the notebook read or wrote (``data``), with its sha256, and a ``data`` entry
  (``dataset``) naming the personal-data entity types found in frames made from it;
* every Python package in the environment section (``library``), with its version, licence and
  ``pkg:pypi`` purl.

``cyclonedx-python-lib`` has no model card or data object yet, so those two fields are added to
the serialised JSON by ``bom-ref``; the tests validate the result against the CycloneDX 1.6 JSON
schema. Validation is not done here (it is slow to import and belongs in tests, not in a kernel).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from nbsec._version import __version__
from nbsec.report.model import Report

_NAMESPACE = uuid.UUID("3e1f2c1a-7b9d-4c55-8a2e-9d6f0b1c2d3e")


class MlbomUnavailable(RuntimeError):
    """``cyclonedx-python-lib`` is not installed (``pip install nbsec[mlbom]``)."""


def _license_factory() -> Any:
    try:
        from cyclonedx.contrib.license.factories import LicenseFactory
    except ImportError:  # older releases
        from cyclonedx.factory.license import LicenseFactory
    return LicenseFactory()


def _pii_by_dataset(report: Report) -> dict[str, set[str]]:
    """Dataset URI -> entity types found in frames the lineage derives from it."""
    frames = {
        t.name: {e.type for c in t.columns for e in c.entities}
        for t in report.personal_data.tables
        if t.kind == "frame"
    }
    parents: dict[str, list[str]] = {}
    for edge in report.lineage.edges:
        parents.setdefault(str(edge["dst"]), []).append(str(edge["src"]))
    uri_of = {str(n["id"]): str(n.get("uri") or "") for n in report.lineage.nodes}
    found: dict[str, set[str]] = {}
    for node in report.lineage.nodes:
        node_id = str(node["id"])
        if node.get("kind") != "var":
            continue
        name = node_id.split(":", 1)[1].rsplit("@", 1)[0]
        if not frames.get(name):
            continue
        stack, seen = [node_id], {node_id}
        while stack:
            for parent in parents.get(stack.pop(), []):
                if parent in seen:
                    continue
                seen.add(parent)
                stack.append(parent)
                if parent.startswith(("file:", "url:")) and uri_of.get(parent):
                    found.setdefault(uri_of[parent], set()).update(frames[name])
    return found


def _model_datasets(report: Report) -> dict[str, list[str]]:
    """Model name -> dataset URIs it was derived from (a model file the notebook wrote)."""
    out: dict[str, list[str]] = {}
    for derivation in report.lineage.derivations:
        out.setdefault(derivation.output.split(" sha256:")[0], []).extend(
            d.split(" sha256:")[0] for d in derivation.derived_from
        )
    return out


def build_mlbom(report: Report) -> str:
    """The ML-BOM as CycloneDX 1.6 JSON text."""
    try:
        from cyclonedx.model import (
            ExternalReference,
            ExternalReferenceType,
            HashAlgorithm,
            HashType,
            Property,
            XsUri,
        )
        from cyclonedx.model.bom import Bom
        from cyclonedx.model.component import Component, ComponentType
        from cyclonedx.output.json import JsonV1Dot6
        from packageurl import PackageURL
    except ImportError as exc:
        raise MlbomUnavailable(
            "cyclonedx-python-lib is not installed (pip install 'nbsec[mlbom]')"
        ) from exc

    licenses = _license_factory()
    ident = report.identity
    produced = dt.datetime.fromisoformat(ident.produced.at)

    def sha(value: str | None) -> list[Any]:
        if not value:
            return []
        digest = value.removeprefix("sha256:").lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            return []
        return [HashType(alg=HashAlgorithm.SHA_256, content=digest)]

    bom = Bom()
    bom.serial_number = uuid.uuid5(
        _NAMESPACE, f"{ident.notebook.sha256}/{ident.produced.at}/{ident.produced.mode}"
    )
    bom.metadata.timestamp = produced
    tool = Component(name="nbsec", version=__version__, type=ComponentType.APPLICATION)
    bom.metadata.tools.components.add(tool)
    root = Component(
        name=ident.notebook.name,
        type=ComponentType.APPLICATION,
        bom_ref="notebook",
        hashes=sha(ident.notebook.sha256),
        description="Jupyter notebook",
        properties=[Property(name="nbsec:path", value=ident.notebook.path)],
    )
    bom.metadata.component = root
    depends: list[Any] = []
    extra: dict[str, dict[str, Any]] = {}

    datasets: dict[str, Any] = {}
    pii = _pii_by_dataset(report)
    model_files = {m.what for m in report.models.items if m.kind == "written"}
    for i, item in enumerate(report.data.items):
        if item.uri in model_files:
            continue  # a model the notebook wrote: a machine-learning-model component below
        ref = f"data-{i + 1}"
        props = [
            Property(name="nbsec:role", value=item.role),
            Property(name="nbsec:observed", value="run" if item.seen == "run" else "named in code"),
        ]
        if item.rows is not None:
            props.append(Property(name="nbsec:rows", value=str(item.rows)))
        if item.current:
            props.append(Property(name="nbsec:now", value=item.current))
        refs = []
        if item.kind == "url":
            refs.append(
                ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(item.uri))
            )
        component = Component(
            name=item.uri,
            type=ComponentType.DATA,
            bom_ref=ref,
            hashes=sha(item.sha256),
            properties=props,
            external_references=refs,
        )
        bom.components.add(component)
        depends.append(component)
        datasets[item.uri] = component
        entities = sorted(pii.get(item.uri, set()))
        data: dict[str, Any] = {"type": "dataset", "name": item.uri}
        if item.columns:
            data["description"] = "columns: " + ", ".join(
                f"{c['name']} ({c['type']})" for c in item.columns[:50]
            )
        if entities:
            data["classification"] = "personal data"
            data["sensitiveData"] = entities
        extra[ref] = {"data": [data]}

    model_sources = _model_datasets(report)
    intended = next((f.value for f in report.governance.fields if f.key == "intended_use"), None)
    for i, model in enumerate(report.models.items):
        ref = f"model-{i + 1}"
        props = [Property(name="nbsec:how", value=model.kind)]
        for key, value in (
            ("nbsec:verdict", model.verdict),
            ("nbsec:format", model.format),
            ("nbsec:revision", model.revision),
            ("nbsec:pinned", None if model.pinned is None else str(model.pinned).lower()),
            ("nbsec:guard", model.action),
            ("nbsec:rules", ", ".join(model.rules) or None),
        ):
            if value:
                props.append(Property(name=key, value=value))
        for name in model.globals[:200]:
            props.append(Property(name="nbsec:global", value=name))
        refs = []
        if model.source and "://" in model.source:
            refs.append(
                ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(model.source))
            )
        elif model.source and model.source.startswith("huggingface.co/"):
            refs.append(
                ExternalReference(
                    type=ExternalReferenceType.DISTRIBUTION, url=XsUri("https://" + model.source)
                )
            )
        component = Component(
            name=model.what,
            version=model.revision or None,
            type=ComponentType.MACHINE_LEARNING_MODEL,
            bom_ref=ref,
            hashes=sha(model.sha256),
            properties=props,
            external_references=refs,
        )
        bom.components.add(component)
        depends.append(component)
        trained_on = [datasets[u] for u in model_sources.get(model.what, []) if u in datasets]
        card: dict[str, Any] = {}
        parameters: dict[str, Any] = {}
        if trained_on:
            parameters["datasets"] = [{"ref": str(d.bom_ref)} for d in trained_on]
            bom.register_dependency(component, trained_on)
        if model.format:
            parameters["modelArchitecture"] = model.format
        if parameters:
            card["modelParameters"] = parameters
        if intended:
            card["considerations"] = {"useCases": [intended]}
        if card:
            extra[ref] = {"modelCard": card}

    for package in report.environment.packages:
        purl = PackageURL(type="pypi", name=package.name.lower(), version=package.version or None)
        component = Component(
            name=package.name,
            version=package.version or None,
            type=ComponentType.LIBRARY,
            bom_ref=f"pkg:pypi/{package.name.lower()}@{package.version or ''}",
            purl=purl,
            licenses=[licenses.make_from_string(package.license)] if package.license else [],
            properties=[Property(name="nbsec:direct", value=str(package.direct).lower())],
        )
        bom.components.add(component)
        if package.direct:
            depends.append(component)
    bom.register_dependency(root, depends)
    document = json.loads(JsonV1Dot6(bom).output_as_string())
    for component in document.get("components", []):
        component.update(extra.get(component.get("bom-ref", ""), {}))
    return json.dumps(document, indent=2, sort_keys=False) + "\n"
