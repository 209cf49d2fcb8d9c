"""Pickle real objects of the ML libraries installed here: the false-alarm corpus.

Every file is made by the library itself (``pickle.dumps`` at protocols 2, 4 and 5,
``joblib.dump`` plain and compressed, ``torch.save``, ``DataFrame.to_pickle``), never by hand, at
the versions installed in the environment that runs this script. Libraries that are not
installed are skipped. The benchmark runs it in this project's environment and in a side
environment with xgboost, lightgbm, catboost, statsmodels and transformers.

    python benchmarks/ecosystem_objects.py OUT_DIR      # prints a JSON manifest
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import decimal
import fractions
import functools
import io
import json
import pickle
import re
import sys
import uuid
import warnings
import zoneinfo
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

Maker = Callable[[], Iterator[tuple[str, Any]]]
MAKERS: list[tuple[str, Maker]] = []


def maker(family: str) -> Callable[[Maker], Maker]:
    def register(fn: Maker) -> Maker:
        MAKERS.append((family, fn))
        return fn

    return register


@maker("stdlib")
def stdlib() -> Iterator[tuple[str, Any]]:
    yield "values", {"a": [1, 2.5, "x", None, True, b"\x00"], "t": (1, 2), "s": {1, 2}}
    yield (
        "collections",
        [
            collections.OrderedDict(a=1),
            collections.Counter("aab"),
            collections.deque([1, 2]),
            collections.defaultdict(list),
        ],
    )
    yield (
        "datetime",
        [
            dt.datetime(2026, 1, 2, 3, tzinfo=dt.UTC),
            dt.date(2026, 1, 1),
            dt.timedelta(3),
            dt.time(4, 5),
        ],
    )
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    yield "zoneinfo", [paris, dt.datetime(2026, 3, 29, 3, tzinfo=paris), dt.time(1, tzinfo=paris)]
    yield "numbers", [decimal.Decimal("1.5"), fractions.Fraction(1, 3), complex(1, 2)]
    yield "uuid_path", [uuid.UUID(int=7), Path("/tmp/x")]
    yield "regex", re.compile(r"a+b", re.I)
    yield "namespace", argparse.Namespace(lr=0.1)
    yield "partial", functools.partial(int, base=2)
    yield "builtin", len
    yield "future", __import__("__future__").annotations
    yield "bytes", [bytearray(b"abc"), range(10), slice(1, 5), frozenset({1})]


@maker("timezones")
def timezone_objects() -> Iterator[tuple[str, Any]]:
    """Time zones of dateutil and pytz, alone and on datetimes and pandas columns."""
    from dateutil import relativedelta, tz

    yield "dateutil", [tz.tzutc(), tz.tzlocal(), tz.gettz("Europe/Paris"), tz.tzoffset("X", 3600)]
    yield "dateutil_rules", [tz.tzstr("EST5EDT"), relativedelta.relativedelta(months=1)]
    yield "dateutil_datetime", dt.datetime(2026, 1, 1, tzinfo=tz.gettz("America/New_York"))
    with contextlib.suppress(ImportError):
        import pandas as pd

        yield "dateutil_column", pd.Series(pd.date_range("2026", periods=3, tz=tz.gettz("UTC")))
    with contextlib.suppress(ImportError):
        import pytz

        paris = pytz.timezone("Europe/Paris")
        yield "pytz", [paris, pytz.utc, pytz.FixedOffset(90)]
        yield "pytz_datetime", paris.localize(dt.datetime(2026, 7, 1))


@maker("numpy")
def numpy_objects() -> Iterator[tuple[str, Any]]:
    import numpy as np

    yield (
        "arrays",
        [
            np.arange(10.0),
            np.zeros((3, 3), dtype=np.int8),
            np.array(["a", "bc"]),
            np.array([1, "x"], dtype=object)[:1].astype(np.int64),
        ],
    )
    yield "scalars", [np.float32(1.5), np.int64(3), np.bool_(True), np.datetime64("2026-01-01")]
    yield "structured", np.zeros(3, dtype=[("x", "<i4"), ("y", "<f8")])
    yield "masked", np.ma.masked_array([1, 2], mask=[0, 1])
    yield "random", [np.random.default_rng(0), np.random.RandomState(1)]
    yield "dtypes", [np.dtype("f8"), np.dtype([("a", "i4")])]


@maker("pandas")
def pandas_objects() -> Iterator[tuple[str, Any]]:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "i": [1, 2],
            "f": [1.5, None],
            "s": ["x", "y"],
            "c": pd.Categorical(["a", "b"]),
            "t": pd.to_datetime(["2026-01-01", "2026-02-01"]).tz_localize("UTC"),
            "tz": pd.to_datetime(["2026-01-01", "2026-07-01"]).tz_localize("Europe/Paris"),
            "td": pd.to_timedelta([1, 2], unit="D"),
            "p": pd.period_range("2026-01", periods=2, freq="M"),
            "ni": pd.array([1, None], dtype="Int64"),
            "nb": pd.array([True, None], dtype="boolean"),
            "iv": pd.interval_range(0, 2),
        }
    )
    yield "frame", frame
    yield "multiindex", pd.Series([1, 2], index=pd.MultiIndex.from_tuples([(1, "a"), (2, "b")]))
    yield (
        "indexes",
        [
            pd.RangeIndex(5),
            pd.date_range("2026", periods=3, freq="h"),
            pd.CategoricalIndex(["a", "b"]),
            pd.interval_range(0, 3),
            pd.IntervalIndex.from_breaks(pd.date_range("2026", periods=3)),
            pd.timedelta_range("1 day", periods=2),
            pd.period_range("2026-01", periods=2, freq="M"),
        ],
    )
    yield "sparse", pd.arrays.SparseArray([0, 0, 1])
    yield (
        "tz_aware",
        [
            pd.Timestamp("2026-01-01 12:00", tz="Europe/Paris"),
            pd.date_range("2026", periods=3, freq="h", tz=zoneinfo.ZoneInfo("Asia/Tokyo")),
            pd.Series(pd.date_range("2026", periods=2, tz="America/Chicago"), name="when"),
        ],
    )
    with contextlib.suppress(Exception):
        yield "arrow", frame[["i", "s"]].astype({"s": "string[pyarrow]", "i": "int64[pyarrow]"})


@maker("scipy")
def scipy_objects() -> Iterator[tuple[str, Any]]:
    import numpy as np
    from scipy import sparse, stats

    dense = np.eye(4)
    yield (
        "sparse",
        [
            sparse.csr_matrix(dense),
            sparse.csc_matrix(dense),
            sparse.coo_matrix(dense),
            sparse.lil_matrix(dense),
            sparse.dok_matrix(dense),
        ],
    )
    yield "sparse_arrays", [sparse.csr_array(dense)]
    # every distribution, frozen; a discrete one pickles getattr(<itself>, "_entropy")
    for kind in (stats.rv_continuous, stats.rv_discrete):
        frozen = []
        for name in sorted(dir(stats)):
            dist = getattr(stats, name)
            if isinstance(dist, kind):
                with contextlib.suppress(Exception):  # poisson_binom wants an array
                    frozen.append(dist(*([0.5] * dist.numargs)))
        yield f"frozen_{kind.__name__.removeprefix('rv_')}", frozen
    yield "unfrozen", [stats.norm, stats.poisson, stats.rv_discrete(values=([0, 1], [0.5, 0.5]))]
    yield "histogram", stats.rv_histogram(np.histogram([1.0, 2.0, 2.0, 3.0]))


def _xy() -> tuple[Any, Any, Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    y = (x[:, 0] > 0).astype(int)
    return x, y, x[:, 1]


@maker("scikit-learn")
def sklearn_objects() -> Iterator[tuple[str, Any]]:
    from sklearn.utils import all_estimators

    x, y, target = _xy()
    for name, cls in all_estimators():
        try:
            est = cls()
        except Exception:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                est.fit(x, y if hasattr(est, "predict_proba") or "Classifier" in name else target)
            except Exception:
                with contextlib.suppress(Exception):
                    est.fit(x)
        yield f"estimator_{name}", est
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    texts = ["alpha beta gamma", "beta gamma delta", "Alpha Beta"]
    yield (
        "text_vectorizers_str_methods",  # a method of str pickles as getattr(str, name)
        [
            TfidfVectorizer(tokenizer=str.split, token_pattern=None).fit(texts),
            CountVectorizer(analyzer=str.split).fit(texts),
            TfidfVectorizer(preprocessor=str.lower).fit(texts),
        ],
    )
    yield "pipeline", make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y)
    yield "union", make_union(StandardScaler(), StandardScaler()).fit(x)
    yield (
        "columns",
        ColumnTransformer([("s", StandardScaler(), [0]), ("o", OneHotEncoder(), [1])]).fit(
            x.round()
        ),
    )


@maker("torch")
def torch_objects() -> Iterator[tuple[str, Any]]:
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv1d(2, 4, 3),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.LazyLinear(2),
        torch.nn.LayerNorm(2),
    )
    model(torch.zeros(1, 2, 8))
    opt = torch.optim.AdamW(model.parameters())
    model(torch.zeros(1, 2, 8)).sum().backward()
    opt.step()
    yield "state_dict", model.state_dict()
    yield "module", model
    yield "optimizer_state", opt.state_dict()
    yield "transformer", torch.nn.TransformerEncoderLayer(8, 2)
    yield "lstm", torch.nn.LSTM(4, 4)
    yield (
        "tensors",
        {
            "f16": torch.ones(3, dtype=torch.float16),
            "i": torch.arange(4),
            "sparse": torch.eye(3).to_sparse(),
            "rng": torch.get_rng_state(),
        },
    )
    yield "scheduler", torch.optim.lr_scheduler.StepLR(opt, 3).state_dict()


@maker("xgboost")
def xgboost_objects() -> Iterator[tuple[str, Any]]:
    import xgboost

    x, y, _ = _xy()
    yield "classifier", xgboost.XGBClassifier(n_estimators=3).fit(x, y)
    yield "booster", xgboost.train({}, xgboost.DMatrix(x, y), 2)


@maker("lightgbm")
def lightgbm_objects() -> Iterator[tuple[str, Any]]:
    import lightgbm

    x, y, _ = _xy()
    yield "classifier", lightgbm.LGBMClassifier(n_estimators=3, verbose=-1).fit(x, y)


@maker("catboost")
def catboost_objects() -> Iterator[tuple[str, Any]]:
    import catboost

    x, y, _ = _xy()
    yield (
        "classifier",
        catboost.CatBoostClassifier(iterations=3, verbose=0, allow_writing_files=False).fit(x, y),
    )


@maker("statsmodels")
def statsmodels_objects() -> Iterator[tuple[str, Any]]:
    import statsmodels.api as sm

    x, _, target = _xy()
    yield "ols_results", sm.OLS(target, sm.add_constant(x)).fit()


@maker("transformers")
def transformers_objects() -> Iterator[tuple[str, Any]]:
    import transformers
    from tokenizers import Tokenizer, models

    yield "config", transformers.BertConfig(hidden_size=32, num_hidden_layers=1)
    yield "training_args", transformers.TrainingArguments(output_dir="/tmp/nbsec-unused")
    yield "tokenizer", Tokenizer(models.WordLevel({"a": 0, "[UNK]": 1}, unk_token="[UNK]"))
    yield "batch", transformers.BatchEncoding({"input_ids": [[1, 2]]})


def _write(out: Path, family: str, name: str, obj: Any) -> list[dict[str, str]]:
    written = []
    stem = f"{family}__{name}"
    for proto in (2, 4, 5):
        path = out / f"{stem}_p{proto}.pkl"
        try:
            path.write_bytes(pickle.dumps(obj, protocol=proto))
        except Exception:
            continue
        written.append({"file": path.name, "family": family, "how": f"pickle protocol {proto}"})
    if family in ("scikit-learn", "numpy", "pandas", "scipy", "xgboost", "lightgbm", "timezones"):
        try:
            import joblib

            for compress in (0, ("zlib", 3), ("lzma", 3)):
                tag = "plain" if not compress else compress[0]
                path = out / f"{stem}_{tag}.joblib"
                joblib.dump(obj, path, compress=compress)
                written.append({"file": path.name, "family": family, "how": f"joblib {tag}"})
        except Exception:
            pass
    if family == "torch":
        import torch

        path = out / f"{stem}.pt"
        buf = io.BytesIO()
        torch.save(obj, buf)
        path.write_bytes(buf.getvalue())
        written.append({"file": path.name, "family": family, "how": "torch.save"})
    return written


def build(out: Path, families: tuple[str, ...] = ()) -> list[dict[str, str]]:
    out.mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, str]] = []
    for family, make in MAKERS:
        if families and family not in families:
            continue
        try:
            for name, obj in make():
                manifest.extend(_write(out, family, name, obj))
        except ImportError:
            continue
    return manifest


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "ecosystem_corpus")
    json.dump(build(target), sys.stdout)
