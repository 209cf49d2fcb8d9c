"""Keras model configs (``config.json`` of ``.keras``, ``model_config`` of ``.h5``).

The config is JSON; nothing is deserialized. It is walked to any depth (models nested in models,
layers wrapped in ``TimeDistributed`` or ``Bidirectional``), and every object that names a class
is checked:

* ``class_name == "Lambda"`` anywhere                               -> NBS-PKL-016 (critical)
* a ``module`` outside Keras (``keras``, ``keras_hub``, ``tf_keras``, ``tensorflow.keras``) or a
  ``registered_name`` (a custom object)                             -> NBS-PKL-017 (high, or
  critical when the referenced module is on the pickle deny-list, as in ``safe_mode`` bypasses
  that point ``module`` at ``os`` or ``subprocess``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from nbsec.findings import Severity
from nbsec.models.globals_judge import Judgement

if TYPE_CHECKING:
    from nbsec.models.scan_context import ScanContext

KERAS_MODULES = ("keras", "keras_hub", "keras_nlp", "keras_cv", "tf_keras", "tensorflow.keras")
# Keras names that fetch or run things even inside Keras (advisory bypasses of safe_mode).
KERAS_DENIED = frozenset(("keras.utils.get_file", "keras.src.utils.file_utils.get_file"))
_MAX_NODES = 1_000_000


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    stack = [node]
    seen = 0
    while stack and seen < _MAX_NODES:
        item = stack.pop()
        seen += 1
        if isinstance(item, dict):
            if "class_name" in item:
                yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def check_keras_config(ctx: ScanContext, config: Any, where: str) -> None:
    for obj in _objects(config):
        class_name = str(obj.get("class_name"))
        if class_name == "Lambda":
            layer = obj.get("config", {})
            name = layer.get("name", "?") if isinstance(layer, dict) else "?"
            ctx.report(
                "NBS-PKL-016",
                f"{where}: Lambda layer {name!r} carries Python code",
                key=f"{where}:lambda:{name}",
            )
            continue
        module = obj.get("module")
        registered = obj.get("registered_name")
        if isinstance(module, str) and module:
            target = module
            inner = obj.get("config")
            if class_name == "function" and isinstance(inner, str):
                target = f"{module}.{inner}"
            else:
                target = f"{module}.{class_name}"
            in_keras = module.split(".")[0] in KERAS_MODULES or module.startswith(
                "tensorflow.keras"
            )
            if target in KERAS_DENIED or (not in_keras and _denied(ctx, target)):
                ctx.report(
                    "NBS-PKL-017",
                    f"{where}: config references {target}, which can run code",
                    key=f"{where}:{target}",
                    evidence=target,
                    severity=Severity.CRITICAL,
                )
            elif not in_keras:
                ctx.report(
                    "NBS-PKL-017",
                    f"{where}: config references {target} outside Keras",
                    key=f"{where}:{target}",
                    evidence=target,
                )
        elif isinstance(registered, str) and registered and registered != class_name:
            ctx.report(
                "NBS-PKL-017",
                f"{where}: config needs the custom object {registered}",
                key=f"{where}:{registered}",
                evidence=registered,
            )


def _denied(ctx: ScanContext, target: str) -> bool:
    return ctx.judge.judge_name(target) is Judgement.DENIED


def check_keras_json(ctx: ScanContext, raw: bytes | str, where: str) -> None:
    try:
        config = json.loads(raw)
    except (ValueError, RecursionError):
        ctx.report("NBS-PKL-021", f"{where}: Keras config is not valid JSON", key=f"{where}:json")
        return
    check_keras_config(ctx, config, where)
