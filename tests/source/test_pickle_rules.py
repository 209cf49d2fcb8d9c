"""NBS-PKL call-site rules: real name resolution, and the decoys that must stay clean."""

from __future__ import annotations

import pytest

from nbsec.policy import Policy
from nbsec.source import NameScope, check_cell_source
from tests.source.conftest import hits

FLAGGED = [
    ("import pickle\npickle.load(f)", "NBS-PKL-001", 2),
    ("import pickle\nx = pickle.loads(b)", "NBS-PKL-001", 2),
    ("import pickle as pk\n\npk.load(f)", "NBS-PKL-001", 3),
    ("from pickle import loads as L\nL(b)", "NBS-PKL-001", 2),
    ("from pickle import Unpickler\nUnpickler(f).load()", "NBS-PKL-001", 2),
    ("import _pickle\n_pickle.loads(b)", "NBS-PKL-001", 2),
    ("import cPickle\ncPickle.load(f)", "NBS-PKL-001", 2),
    ("import six.moves.cPickle as cp\ncp.loads(b)", "NBS-PKL-001", 2),
    ("import dill\ndill.load(f)", "NBS-PKL-001", 2),
    ("import cloudpickle\ncloudpickle.loads(b)", "NBS-PKL-001", 2),
    ("import shelve\ndb = shelve.open('x.db')", "NBS-PKL-001", 2),
    ("import pickle\nf = getattr(pickle, 'load')\nf(fh)", "NBS-PKL-001", 3),
    ("import pickle\ngetattr(pickle, 'loads')(b)", "NBS-PKL-001", 2),
    ("__import__('pickle').loads(b)", "NBS-PKL-001", 1),
    ("p = __import__('pickle')\np.load(f)", "NBS-PKL-001", 2),
    ("import importlib\nm = importlib.import_module('_pickle')\nm.loads(b)", "NBS-PKL-001", 3),
    ("import pickle\nloader = pickle.load\nobj = loader(f)", "NBS-PKL-001", 3),
    ("import joblib\nmodel = joblib.load('m.joblib')", "NBS-PKL-002", 2),
    ("from joblib import load\nload('m.pkl')", "NBS-PKL-002", 2),
    ("from sklearn.externals import joblib\njoblib.load(p)", "NBS-PKL-002", 2),
    ("import pandas as pd\ndf = pd.read_pickle('x.pkl')", "NBS-PKL-003", 2),
    ("pd.read_pickle(p)", "NBS-PKL-003", 1),
    ("import pandas\npandas.read_pickle(p)", "NBS-PKL-003", 2),
    ("import numpy as np\nnp.load('a.npy', allow_pickle=True)", "NBS-PKL-004", 2),
    ("import numpy\nnumpy.load(f, None, True)", "NBS-PKL-004", 2),
    ("import torch\ntorch.load('m.pt')", "NBS-PKL-005", 2),
    ("import torch\ntorch.load('m.pt', weights_only=False)", "NBS-PKL-005", 2),
    ("import torch as T\nT.load(p, map_location='cpu')", "NBS-PKL-005", 2),
    ("from torch import load\nload(p)", "NBS-PKL-005", 2),
    ("import yaml\nyaml.load(s)", "NBS-PKL-006", 2),
    ("import yaml\nyaml.load(s, Loader=yaml.Loader)", "NBS-PKL-006", 2),
    ("import yaml\nyaml.load(s, Loader=yaml.UnsafeLoader)", "NBS-PKL-006", 2),
    ("import yaml\nyaml.unsafe_load(s)", "NBS-PKL-006", 2),
    ("from yaml import load, FullLoader\nload(s, FullLoader)", "NBS-PKL-006", 2),
    (
        "from tensorflow import keras\nkeras.models.load_model('m.keras', safe_mode=False)",
        "NBS-PKL-007",
        2,
    ),
    ("import tensorflow as tf\ntf.keras.models.load_model(p, safe_mode=False)", "NBS-PKL-007", 2),
    ("from keras.models import load_model\nload_model(p, safe_mode=False)", "NBS-PKL-007", 2),
    ("%%time\nimport pickle\nobj = pickle.load(f)", "NBS-PKL-001", 3),
    ("%time obj = pickle.load(f)", "NBS-PKL-001", 1),
    ("def read(p):\n    with open(p, 'rb') as f:\n        return pickle.load(f)", "NBS-PKL-001", 3),
]

DECOYS = [
    "import pickle\npickle.dumps(obj)",
    "import pickle\nwith open('x', 'wb') as f:\n    pickle.dump(obj, f)",
    "import json\njson.load(f)\njson.loads(s)",
    "import torch\ntorch.load('m.pt', weights_only=True)",
    "import numpy as np\nnp.load('a.npy')",
    "import numpy as np\nnp.load('a.npy', allow_pickle=False)",
    "import yaml\nyaml.safe_load(s)",
    "import yaml\nyaml.load(s, Loader=yaml.SafeLoader)",
    "import yaml\nyaml.load(s, yaml.CSafeLoader)",
    "from safetensors.torch import load_file\nload_file('m.safetensors')",
    "import keras\nkeras.models.load_model('m.keras')",
    "import pandas as pd\npd.read_parquet('x.parquet')\npd.read_csv('x.csv')",
    "import joblib\njoblib.dump(model, 'm.joblib')",
    "# pickle.load(f) in a comment\ntext = 'pickle.loads(b) in a string'",
    "class Store:\n    def load(self, p):\n        return p\nStore().load('x')",
    "import pickle\npickle = MyLoader()\n",
]


@pytest.mark.parametrize(("source", "rule", "line"), FLAGGED)
def test_flagged(source: str, rule: str, line: int) -> None:
    found = hits(check_cell_source(source, scope=NameScope()), "PKL")
    assert (rule, line) in found, found


@pytest.mark.parametrize("source", DECOYS)
def test_decoys_stay_clean(source: str) -> None:
    assert hits(check_cell_source(source, scope=NameScope()), "PKL") == []


def test_resolution_carries_across_cells() -> None:
    scope = NameScope()
    assert check_cell_source("import dill as d\nimport numpy as N", scope=scope) == []
    found = check_cell_source("x = 1\ny = d.loads(b)\nN.load(f, allow_pickle=True)", scope=scope)
    assert hits(found) == [("NBS-PKL-001", 2), ("NBS-PKL-004", 3)]


def test_rebinding_a_name_forgets_the_alias() -> None:
    scope = NameScope()
    check_cell_source("import pickle as store", scope=scope)
    assert check_cell_source("store = {}\nstore.load(f)", scope=scope) == []


def test_disabled_rule_is_not_reported() -> None:
    policy = Policy(disable_rules=("NBS-PKL",))
    assert check_cell_source("import pickle\npickle.load(f)", policy=policy) == []


@pytest.mark.parametrize(
    ("source", "line", "cell_index"),
    [("import pickle\n\npickle.loads(b)", 3, 7)],
)
def test_location_is_filled_from_the_caller(source: str, line: int, cell_index: int) -> None:
    from nbsec.findings import Location

    base = Location(path="nb.ipynb", cell_index=cell_index, cell_id="abc")
    (finding,) = check_cell_source(source, location=base)
    assert finding.location == Location(
        path="nb.ipynb", cell_index=cell_index, cell_id="abc", line=line
    )


# the file a load call reads, as the kernel asks about it (``own_file``): None when the source
# does not name it literally
LOADED_FILE = [
    ("import joblib\njoblib.load('m.joblib')", "m.joblib"),
    ("import pickle\npickle.load(open('m.pkl', 'rb'))", "m.pkl"),
    ("import pickle\nP = 'm.pkl'\npickle.load(open(P, 'rb'))", "m.pkl"),
    ("import pickle\nwith open('rf.pkl', 'rb') as f:\n    m = pickle.load(f)", "rf.pkl"),
    ("import pickle\nwith open('a') as g, open('rf.pkl') as f:\n    pickle.load(f)", "rf.pkl"),
    ("import pickle\nf = open('rf.pkl', 'rb')\nm = pickle.load(f)", "rf.pkl"),
    ("import pickle\nf = open('rf.pkl', 'rb')\nf = other()\npickle.load(f)", None),
    ("import pickle\nwith open('rf.pkl', 'rb') as f:\n    f = wrap(f)\n    pickle.load(f)", None),
    ("import pickle\nwith open('rf.pkl', 'rb') as f:\n    pass\npickle.load(f)", None),
    ("import pickle\nwith open(name, 'rb') as f:\n    pickle.load(f)", None),
    ("import pickle\nfor f in files:\n    pickle.load(f)", None),
    ("import pickle\npickle.load(f)", None),
]


@pytest.mark.parametrize(("source", "path"), LOADED_FILE)
def test_the_file_a_load_names_is_asked_about(source: str, path: str | None) -> None:
    asked: list[str] = []

    def own_file(name: str) -> str | None:
        asked.append(name)
        return "a file cell 1 of this session wrote"

    (finding,) = check_cell_source(source, own_file=own_file)
    assert finding.rule == "NBS-PKL-001" or finding.rule == "NBS-PKL-002"
    assert asked == ([path] if path else [])
    assert (finding.severity == "info") is (path is not None)


def test_a_file_opened_in_an_earlier_cell_is_not_resolved() -> None:
    # a handle left open by another cell may have been read from since: no claim about it
    scope = NameScope()
    check_cell_source("f = open('rf.pkl', 'rb')", scope=scope)
    asked: list[str] = []

    def own_file(name: str) -> str | None:
        asked.append(name)
        return None

    check_cell_source("import pickle\npickle.load(f)", scope=scope, own_file=own_file)
    assert asked == []
