"""Files, URLs and models a notebook's code names, found without running it.

A static report has no ledger to say what a notebook read and wrote; this pass gives the reviewer
the next best thing: every call of a known reader, writer, loader or downloader whose target is a
string literal (or a name bound to one in an earlier cell, ``PIPELINE_URL = 'http://...'``), with
its cell and line. The calls are data (:data:`READERS`, :data:`WRITERS`, :data:`LOADERS`,
:data:`DOWNLOADERS`, matched on the last part of the called name); the targets are reported as
"named in code", never as observed I/O. Nothing is imported or executed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

# call name (last dotted part) -> which argument holds the target (position, keyword)
READERS: dict[str, tuple[int, str]] = {
    "read_csv": (0, "filepath_or_buffer"),
    "read_table": (0, "filepath_or_buffer"),
    "read_parquet": (0, "path"),
    "read_json": (0, "path_or_buf"),
    "read_excel": (0, "io"),
    "read_feather": (0, "path"),
    "read_orc": (0, "path"),
    "read_sas": (0, "filepath_or_buffer"),
    "read_stata": (0, "filepath_or_buffer"),
    "read_spss": (0, "path"),
    "read_xml": (0, "path_or_buffer"),
    "read_hdf": (0, "path_or_buf"),
    "read_ndjson": (0, "source"),
    "scan_csv": (0, "source"),
    "scan_parquet": (0, "source"),
    "read_text": (0, ""),
    "read_bytes": (0, ""),
    "loadtxt": (0, "fname"),
    "genfromtxt": (0, "fname"),
    "load_dataset": (0, "path"),
    "urlopen": (0, "url"),
    "get": (0, "url"),
}
WRITERS: dict[str, tuple[int, str]] = {
    "to_csv": (0, "path_or_buf"),
    "to_parquet": (0, "path"),
    "to_json": (0, "path_or_buf"),
    "to_excel": (0, "excel_writer"),
    "to_feather": (0, "path"),
    "to_pickle": (0, "path"),
    "to_hdf": (0, "path_or_buf"),
    "write_csv": (0, "file"),
    "write_parquet": (0, "file"),
    "savefig": (0, "fname"),
    "savetxt": (0, "fname"),
    "write_text": (-1, ""),
    "write_bytes": (-1, ""),
    "save_pretrained": (0, "save_directory"),
}
LOADERS: dict[str, tuple[int, str]] = {
    "read_pickle": (0, "filepath_or_buffer"),
    "load_model": (0, "filepath"),
    "from_pretrained": (0, "pretrained_model_name_or_path"),
    "hf_hub_download": (0, "repo_id"),
    "snapshot_download": (0, "repo_id"),
}
# `load` is a loader only on these modules (json.load, yaml.load... name data, not models)
MODULE_LOADERS = {"pickle", "joblib", "torch", "numpy", "np", "dill", "cloudpickle", "keras"}
DOWNLOADERS: dict[str, tuple[int, str]] = {"urlretrieve": (0, "url")}
_MODEL_SUFFIXES = (
    ".pkl", ".pickle", ".joblib", ".pt", ".pth", ".bin", ".ckpt", ".h5", ".keras", ".npy",
    ".npz", ".safetensors", ".onnx", ".gguf", ".model", ".sav", ".dill",
)  # fmt: skip


def looks_like_model_file(name: str) -> bool:
    """A file name with a model or pickle suffix (``.pkl``, ``.pt``, ``.joblib``, ...)."""
    return name.lower().endswith(_MODEL_SUFFIXES)


@dataclass(frozen=True)
class Reference:
    kind: str  # "read" | "write" | "load" | "download"
    api: str
    target: str
    cell_index: int
    cell_id: str | None
    line: int

    @property
    def is_url(self) -> bool:
        return "://" in self.target

    @property
    def looks_like_model(self) -> bool:
        return self.kind in ("load", "download") or looks_like_model_file(self.target)


def dotted_name(node: ast.AST) -> str:
    """``np.random.seed`` for the expression ``np.random.seed`` (names and attributes only)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


class _Finder(ast.NodeVisitor):
    def __init__(self, constants: dict[str, str], cell_index: int, cell_id: str | None) -> None:
        self.constants = constants
        self.cell_index = cell_index
        self.cell_id = cell_id
        self.found: list[Reference] = []
        self._open_targets: dict[str, str] = {}

    def _text(self, node: ast.AST | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        return None

    def _argument(self, call: ast.Call, position: int, keyword: str) -> str | None:
        if keyword:
            for kw in call.keywords:
                if kw.arg == keyword:
                    return self._text(kw.value)
        if position >= 0 and len(call.args) > position:
            return self._text(call.args[position])
        return None

    def _add(self, kind: str, api: str, target: str | None, node: ast.AST) -> None:
        if target and target.strip() and len(target) < 2048:
            line = getattr(node, "lineno", 1)
            self.found.append(
                Reference(kind, api, target.strip(), self.cell_index, self.cell_id, line)
            )

    def visit_Assign(self, node: ast.Assign) -> None:
        value = node.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.constants[target.id] = value.value
        self.generic_visit(node)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            call = item.context_expr
            if isinstance(call, ast.Call) and dotted_name(call.func) in ("open", "io.open"):
                target = self._argument(call, 0, "file")
                if target and isinstance(item.optional_vars, ast.Name):
                    self._open_targets[item.optional_vars.id] = target
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = dotted_name(node.func)
        last = name.rsplit(".", 1)[-1]
        module = name.split(".", 1)[0] if "." in name else ""
        if name in ("open", "io.open"):
            target = self._argument(node, 0, "file")
            mode = self._argument(node, 1, "mode") or "r"
            self._add("write" if any(c in mode for c in "wax+") else "read", name, target, node)
        elif last == "load" and module in MODULE_LOADERS:
            target = self._argument(node, 0, "f") or self._argument(node, 0, "file")
            if target is None and node.args and isinstance(node.args[0], ast.Name):
                target = self._open_targets.get(node.args[0].id)
            self._add("load", name, target, node)
        elif last in ("dump", "save") and module in MODULE_LOADERS:
            self._add("write", name, self._argument(node, 1, "filename"), node)
        elif last in LOADERS:
            self._add("load", name, self._argument(node, *LOADERS[last]), node)
        elif last in DOWNLOADERS:
            self._add("download", name, self._argument(node, *DOWNLOADERS[last]), node)
            self._add("write", name, self._argument(node, 1, "filename"), node)
        elif last in READERS and (last != "get" or module in ("requests", "httpx")):
            self._add("read", name, self._argument(node, *READERS[last]), node)
        elif last in WRITERS:
            position, keyword = WRITERS[last]
            if position < 0 and isinstance(node.func, ast.Attribute):
                # Path('x').write_text(...): the target is the receiver
                receiver = node.func.value
                if isinstance(receiver, ast.Call) and receiver.args:
                    self._add("write", name, self._text(receiver.args[0]), node)
            else:
                self._add("write", name, self._argument(node, position, keyword), node)
        self.generic_visit(node)


def find_references(cells: Iterable[tuple[int, str | None, str]]) -> list[Reference]:
    """References in ``(cell_index, cell_id, python_source)`` cells, in notebook order; string
    constants carry over from cell to cell."""
    constants: dict[str, str] = {}
    found: list[Reference] = []
    for index, cell_id, python in cells:
        try:
            tree = ast.parse(python)
        except (SyntaxError, ValueError, RecursionError):
            continue
        finder = _Finder(constants, index, cell_id)
        try:
            finder.visit(tree)
        except RecursionError:
            continue
        found.extend(finder.found)
    return found
