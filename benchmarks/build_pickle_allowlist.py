"""Build ``nbsec/models/pickle_allowlist.toml``: the exact globals a pickle may import.

The allowlist is data, generated from the libraries installed here and reviewed by family:

* **classes** are enumerated from each family's packages (every class a module defines, named as
  pickle names it: ``cls.__module__`` + ``cls.__qualname__``). Rebuilding an instance of a class
  calls only its ``__new__``/``__init__`` with the stream's data and its ``__setstate__``; the
  families are libraries whose classes are values, estimators, layers and containers. Classes
  that act on the world when built (files, sockets, threads, processes, log handlers, readers)
  and whole subpackages that hold such code (``pandas.io``, ``*.testing``...) are left out;
* **functions** are never enumerated: only the reviewed rebuild helpers listed below (what
  ``__reduce__`` of the family's own objects names), each family with its reason;
* **constants** (``torch.float32``, ``pandas.NA``) are listed by hand.

Nothing that loads, deserialises, downloads, opens files or runs code is allowed: every name is
checked against the deny-list before it is written, and ``tests/models/test_allowlist_data.py``
checks the committed file the same way. No entry is a package prefix.

    .venv/bin/python benchmarks/build_pickle_allowlist.py   # rewrites the TOML file
    OTHER_ENV/bin/python benchmarks/build_pickle_allowlist.py --merge   # adds its libraries

``--merge`` keeps the names already in the file (generated in another environment, with other
library versions installed) and adds this environment's.
"""

from __future__ import annotations

import importlib
import inspect
import io
import json
import logging
import pkgutil
import socket
import sys
import threading
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "nbsec" / "models" / "pickle_allowlist.toml"

# (family, reason, packages whose classes are enumerated, reviewed functions and constants)
FAMILIES: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = [
    (
        "stdlib",
        "Python value types: building one stores data; no I/O.",
        (),
        (
            "builtins.set",
            "builtins.frozenset",
            "builtins.dict",
            "builtins.list",
            "builtins.tuple",
            "builtins.bytearray",
            "builtins.bytes",
            "builtins.complex",
            "builtins.slice",
            "builtins.range",
            "builtins.object",
            "builtins.int",
            "builtins.float",
            "builtins.str",
            "builtins.bool",
            "builtins.NoneType",
            "builtins.Ellipsis",
            "builtins.NotImplemented",
            "builtins.type",
            "builtins.len",
            "builtins.abs",
            "builtins.min",
            "builtins.max",
            "builtins.sum",
            "builtins.round",
            "builtins.divmod",
            "_codecs.encode",
            "copyreg._reconstructor",
            "copyreg.__newobj__",
            "copyreg.__newobj_ex__",
            "collections.OrderedDict",
            "collections.defaultdict",
            "collections.Counter",
            "collections.deque",
            "collections.ChainMap",
            "datetime.datetime",
            "datetime.date",
            "datetime.time",
            "datetime.timedelta",
            "datetime.timezone",
            "decimal.Decimal",
            "fractions.Fraction",
            "uuid.UUID",
            "uuid.SafeUUID",
            "pathlib.PosixPath",
            "pathlib.WindowsPath",
            "pathlib.PurePosixPath",
            "pathlib.PureWindowsPath",
            "pathlib.Path",
            "zoneinfo.ZoneInfo",
            "zoneinfo._zoneinfo.ZoneInfo",
            "re._compile",
            "re.Pattern",
            "argparse.Namespace",
            "types.SimpleNamespace",
            "__future__._Feature",
            # the feature flags themselves: inert _Feature instances
            "__future__.absolute_import",
            "__future__.annotations",
            "__future__.barry_as_FLUFL",
            "__future__.division",
            "__future__.generator_stop",
            "__future__.generators",
            "__future__.nested_scopes",
            "__future__.print_function",
            "__future__.unicode_literals",
            "__future__.with_statement",
            "enum.Enum",
            "ipaddress.IPv4Address",
            "ipaddress.IPv6Address",
            "ipaddress.IPv4Network",
            "ipaddress.IPv6Network",
            "array.array",
            "array._array_reconstructor",
            "functools.partial",  # what it wraps is a global of the stream, judged on its own
            "string.Template",
            "calendar.Calendar",
            "numbers.Number",
            "pytz._UTC",
            "pytz.utc",
            "pytz._p",
            "pytz.timezone",
            "dateutil.tz.tz.tzutc",
            "dateutil.tz.tz.tzoffset",
            "dateutil.tz.tz.tzlocal",
            "datetime.tzinfo",  # the base class copyreg._reconstructor names at protocols 0-1
            "dateutil.tz.tz._ttinfo",  # dateutil 2.x: one local time type, state set by BUILD
            "dateutil.tz.tz.tzstr",  # parses a POSIX TZ string
            "dateutil.tz.tz.tzrange",
            "dateutil.relativedelta.relativedelta",
            "dateutil._common.weekday",
            # dateutil >= 3: cls.__new__ and the zone's transition data, no file is opened (the
            # tzfile class it receives is admitted for that use only, see [checked.classes])
            "dateutil.tz._tzfile._unpickle",
            "pytz.FixedOffset",
        ),
    ),
    (
        "numpy",
        "numpy arrays, scalars, dtypes, masked arrays and random generators, 1.x and 2.x "
        "names: reconstructors store buffers and shapes.",
        ("numpy",),
        (
            "numpy.core.multiarray._reconstruct",
            "numpy._core.multiarray._reconstruct",
            "numpy.core.multiarray.scalar",
            "numpy._core.multiarray.scalar",
            "numpy.core.numeric._frombuffer",
            "numpy._core.numeric._frombuffer",
            "numpy.ma.core._mareconstruct",
            "numpy.random._pickle.__randomstate_ctor",
            "numpy.random._pickle.__generator_ctor",
            "numpy.random._pickle.__bit_generator_ctor",
            "numpy.random.bit_generator.__pyx_unpickle_SeedSequence",
            "numpy.core.multiarray.dtype",
            "numpy._core.multiarray.dtype",
        ),
    ),
    (
        "torch-tensors",
        "torch tensors, parameters, storages, dtypes and devices: what torch.save "
        "writes for tensors and state dicts (storage bytes come from the archive, never from a "
        "loader call).",
        (),
        (
            "torch._utils._rebuild_tensor",
            "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_tensor_v3",
            "torch._utils._rebuild_parameter",
            "torch._utils._rebuild_parameter_with_state",
            "torch._utils._rebuild_qtensor",
            "torch._utils._rebuild_sparse_tensor",
            "torch._utils._rebuild_sparse_csr_tensor",
            "torch._utils._rebuild_device_tensor_from_numpy",
            "torch._utils._rebuild_meta_tensor_no_storage",
            "torch._utils._rebuild_wrapper_subclass",
            "torch._utils._rebuild_nested_tensor",
            "torch._tensor._rebuild_from_type_v2",
            "torch._tensor._rebuild_from_type",
            "torch.Tensor",
            "torch.nn.parameter.Parameter",
            "torch.nn.parameter.Buffer",
            "torch.Size",
            "torch.device",
            "torch.storage.UntypedStorage",
            "torch.storage.TypedStorage",
            "torch.FloatStorage",
            "torch.DoubleStorage",
            "torch.HalfStorage",
            "torch.BFloat16Storage",
            "torch.LongStorage",
            "torch.IntStorage",
            "torch.ShortStorage",
            "torch.CharStorage",
            "torch.ByteStorage",
            "torch.BoolStorage",
            "torch.ComplexFloatStorage",
            "torch.ComplexDoubleStorage",
            "torch.QInt8Storage",
            "torch.QUInt8Storage",
            "torch.QInt32Storage",
            "torch.UntypedStorage",
            "torch.float32",
            "torch.float64",
            "torch.float16",
            "torch.bfloat16",
            "torch.int64",
            "torch.int32",
            "torch.int16",
            "torch.int8",
            "torch.uint8",
            "torch.bool",
            "torch.complex64",
            "torch.complex128",
            "torch.float8_e4m3fn",
            "torch.float8_e5m2",
            "torch.contiguous_format",
            "torch.channels_last",
            "torch.preserve_format",
            "torch.per_tensor_affine",
            "torch.per_channel_affine",
            "torch.serialization._get_layout",
            "torch.sparse_coo",
            "torch.sparse_csr",
            "torch.strided",
            "torch._C._nn.gelu",
            "torch.nn.functional.relu",
            "torch.nn.functional.gelu",
            "torch.nn.functional.silu",
            "torch.nn.functional.tanh",
            "torch.nn.functional.sigmoid",
            "torch.nn.functional.softmax",
            "torch.nn.functional.leaky_relu",
            "torch.nn.functional.elu",
        ),
    ),
    (
        "torch-nn",
        "torch.nn layer classes (torch.save(model) pickles them by name); classes only: "
        "module-level functions such as register_module_forward_hook are not allowed.",
        ("torch.nn.modules",),
        (),
    ),
    (
        "torch-optim",
        "torch optimizers and learning-rate schedulers (their state is tensors and numbers).",
        ("torch.optim",),
        (),
    ),
    (
        "scikit-learn",
        "scikit-learn estimators, transformers, pipelines, losses, trees and their "
        "Cython helper types, across versions.",
        ("sklearn",),
        (
            "sklearn.metrics._dist_metrics.newObj",
            "sklearn.neighbors._kd_tree.newObj",
            "sklearn.neighbors._ball_tree.newObj",
            "sklearn.tree._tree.Tree",
        ),
    ),
    (
        "scipy",
        "scipy sparse matrices and arrays, and scipy.stats frozen distributions.",
        (
            "scipy.sparse",
            "scipy.stats._distn_infrastructure",
            "scipy.stats._continuous_distns",
            "scipy.stats._discrete_distns",
            "scipy.stats._levy_stable",
        ),
        (),
    ),
    (
        "pandas",
        "pandas frames, series, every index, array and dtype type (Arrow-backed ones "
        "included) and their reconstructors, pandas 2.x and 3.x.",
        ("pandas.core", "pandas._libs", "pandas.arrays", "pandas.tseries", "pandas.api.extensions"),
        (
            "pandas._libs.internals._unpickle_block",
            "pandas.core.indexes.base._new_Index",
            "pandas.core.indexes.datetimes._new_DatetimeIndex",
            "pandas.core.indexes.interval._new_IntervalIndex",
            "pandas.core.indexes.period._new_PeriodIndex",
            "pandas.core.indexes.timedeltas._new_TimedeltaIndex",
            "pandas.core.internals.blocks.new_block",
            "pandas._libs.tslibs.timestamps._unpickle_timestamp",
            "pandas._libs.tslibs.timedeltas._timedelta_unpickle",
            "pandas._libs.tslibs.nattype.__nat_unpickle",
            "pandas._libs.tslibs.nattype._nat_unpickle",
            "pandas._libs.arrays.__pyx_unpickle_NDArrayBacked",
            "pandas._libs.interval.__pyx_unpickle_IntervalMixin",
            "pandas.NA",
            "pandas.NaT",
            "pandas._libs.missing.NA",
            "pandas.DataFrame",
            "pandas.Series",
            "pandas.Index",
            "pandas.RangeIndex",
            "pandas.MultiIndex",
            "pandas.DatetimeIndex",
            "pandas.TimedeltaIndex",
            "pandas.PeriodIndex",
            "pandas.IntervalIndex",
            "pandas.CategoricalIndex",
            "pandas.Categorical",
            "pandas.CategoricalDtype",
            "pandas.StringDtype",
            "pandas.ArrowDtype",
            "pandas.BooleanDtype",
            "pandas.Int8Dtype",
            "pandas.Int16Dtype",
            "pandas.Int32Dtype",
            "pandas.Int64Dtype",
            "pandas.UInt8Dtype",
            "pandas.UInt16Dtype",
            "pandas.UInt32Dtype",
            "pandas.UInt64Dtype",
            "pandas.Float32Dtype",
            "pandas.Float64Dtype",
            "pandas.DatetimeTZDtype",
            "pandas.PeriodDtype",
            "pandas.IntervalDtype",
            "pandas.SparseDtype",
            "pandas.Timestamp",
            "pandas.Timedelta",
            "pandas.Period",
            "pandas.Interval",
            "pandas.arrays.ArrowStringArray",
            "pandas.arrays.DatetimeArray",
            "pandas.arrays.TimedeltaArray",
            "pandas.arrays.PeriodArray",
            "pandas.arrays.StringArray",
            "pandas.arrays.ArrowExtensionArray",
            "pandas.arrays.BooleanArray",
            "pandas.arrays.IntegerArray",
            "pandas.arrays.FloatingArray",
            "pandas.arrays.IntervalArray",
            "pandas.arrays.SparseArray",
            "pandas.arrays.NumpyExtensionArray",
        ),
    ),
    (
        "pyarrow",
        "pyarrow arrays and types as pandas' Arrow-backed columns pickle them.",
        ("pyarrow.lib",),
        (
            "pyarrow.lib._restore_array",
            "pyarrow.lib.type_for_alias",
            "pyarrow.lib.py_buffer",
            "pyarrow.lib.chunked_array",
            "pyarrow.lib.array",
            "pyarrow.lib.field",
            "pyarrow.lib.schema",
            "pyarrow.lib.struct",
            "pyarrow.lib.list_",
            "pyarrow.lib.large_list",
            "pyarrow.lib.dictionary",
            "pyarrow.lib.timestamp",
            "pyarrow.lib.duration",
            "pyarrow.lib.decimal128",
            "pyarrow.lib.binary",
            "pyarrow.lib.string",
            "pyarrow.lib.large_string",
            "pyarrow.lib.table",
            "pyarrow.lib._reconstruct_record_batch",
            "pyarrow.lib._reconstruct_table",
            "pyarrow.lib.Table.from_arrays",
            "pyarrow.lib.RecordBatch.from_arrays",
        ),
    ),
    (
        "joblib",
        "joblib's inline array placeholder (its array bytes follow in the stream and are "
        "stepped over exactly as joblib reads them). The joblib < 0.10 side-file wrappers are not "
        "allowed: they make joblib unpickle another file.",
        (),
        ("joblib.numpy_pickle.NumpyArrayWrapper",),
    ),
    (
        "gradient-boosting",
        "xgboost, lightgbm and catboost models (their state is the model "
        "bytes, reloaded by the library's own parser, not unpickled).",
        ("xgboost.core", "xgboost.sklearn", "lightgbm.basic", "lightgbm.sklearn", "catboost.core"),
        (),
    ),
    ("statsmodels", "statsmodels models and fitted results.", ("statsmodels",), ()),
    (
        "huggingface",
        "transformers configs, training arguments, tokenizer outputs and tokenizers.",
        (
            "transformers.configuration_utils",
            "transformers.training_args",
            "transformers.trainer_utils",
            "transformers.tokenization_utils_base",
            "transformers.debug_utils",
            "transformers.models",
            "tokenizers",
        ),
        (),
    ),
]

# subpackages whose classes act on the world (readers, writers, servers, test helpers, hubs)
_SKIP_PARTS = {
    "io",
    "testing",
    "tests",
    "_testing",
    "conftest",
    "externals",
    "datasets",
    "_build_utils",
    "distributed",
    "hub",
    "cli",
    "commands",
    "utils.hub",
    "jit",
    "onnx",
    "_dynamo",
    "_inductor",
    "compiler",
    "fx",
    "export",
    "package",
    "profiler",
    "cuda",
    "mps",
    "xpu",
    "backends",
    "_pytest",
    "plotting",
    "callback",
    "tracker",
    "dask",
    "spark",
    "rabit",
    "collective",
    "sandbox",
    "api",
    "f2py",
    "distutils",
    "ctypeslib",
    "_pyinstaller",
    "lib.npyio",
    "pyinstaller",
}
_BAD_BASES: tuple[type, ...] = (
    io.IOBase,
    logging.Handler,
    threading.Thread,
    socket.socket,
    BaseException,
)


def _modules(package: str) -> list[object]:
    try:
        root = importlib.import_module(package)
    except Exception:
        return []
    found = [root]
    for info in pkgutil.walk_packages(getattr(root, "__path__", []), prefix=package + "."):
        parts = set(info.name.split("."))
        if parts & _SKIP_PARTS or any(p.startswith("test") for p in parts):
            continue
        leaf = info.name.rsplit(".", 1)[-1]
        if (
            package == "transformers.models"
            and info.ispkg is False
            and not leaf.startswith(("configuration_", "tokenization_"))
        ):
            continue  # configs and tokenizers only: model code needs torch and is not data
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found.append(importlib.import_module(info.name))
        except Exception:
            continue
    return found


def _classes(packages: tuple[str, ...]) -> set[str]:
    names: set[str] = set()
    for package in packages:
        for module in _modules(package):
            for attr, obj in inspect.getmembers(module, inspect.isclass):
                mod = getattr(obj, "__module__", "") or ""
                if not mod.startswith(package.split(".")[0]):
                    continue
                if set(mod.split(".")) & _SKIP_PARTS:
                    continue
                try:
                    if issubclass(obj, _BAD_BASES):
                        continue
                except TypeError:
                    continue
                names.add(f"{mod}.{obj.__qualname__}")
                # the path it is reached by here: older releases pickled classes under the
                # module that defines them (pandas 2: pandas.core.frame.DataFrame)
                names.add(f"{module.__name__}.{attr}")
    return names


def build(merge: bool = False) -> str:
    from nbsec.models.globals_judge import GlobalsJudge, Judgement, global_lists

    deny = GlobalsJudge(None, allowlist=False)
    deny_names = global_lists().deny_names
    lines = [
        "# Generated by benchmarks/build_pickle_allowlist.py from the libraries installed there;",
        "# reviewed by family (see the reason of each). Exact names only, no prefixes.",
        "# Regenerate with the script; tests/models/test_allowlist_data.py checks this file.",
        "",
    ]
    previous: dict[str, set[str]] = {}
    if merge and OUT.exists():
        import tomllib

        old = tomllib.loads(OUT.read_text("utf-8")).get("family", {})
        previous = {k: set(v["names"]) for k, v in old.items()}
    for family, reason, packages, reviewed in FAMILIES:
        # enumerated classes under a denied module are dropped; reviewed names stay unless the
        # deny-list names them exactly
        classes = {n for n in _classes(packages) if deny.judge_name(n) is not Judgement.DENIED}
        names = {n for n in reviewed if n not in deny_names} | classes
        names = {n for n in names if "<locals>" not in n} | previous.get(family, set())
        if not names:
            continue
        lines.append(f"[family.{family}]")
        lines.append("reason = " + json.dumps(reason))
        lines.append("names = [")
        lines.extend(f'    "{n}",' for n in sorted(names))
        lines.append("]")
        lines.append("")
        print(f"{family}: {len(names)} names", file=sys.stderr)
    return "\n".join(lines)


if __name__ == "__main__":
    OUT.write_text(build(merge="--merge" in sys.argv))
    print(f"wrote {OUT}", file=sys.stderr)
