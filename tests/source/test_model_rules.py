"""NBS-MDL rules: remote code, unpinned hub downloads, torch.hub, model files by URL, pip URLs,
trusted sources."""

from __future__ import annotations

import json

import pytest

from nbsec.policy import Policy
from nbsec.source import NameScope, check_cell_source
from tests.source import secret_samples as s
from tests.source.conftest import hits

SHA = "0123456789abcdef0123456789abcdef01234567"

FLAGGED = [
    # trust_remote_code, even pinned
    (
        f"AutoModel.from_pretrained('org/m', trust_remote_code=True, revision='{SHA}')",
        [("NBS-MDL-001", 1)],
    ),
    (
        "from transformers import AutoModelForCausalLM as M\n"
        "M.from_pretrained('org/m', trust_remote_code=True)",
        [("NBS-MDL-001", 2), ("NBS-MDL-002", 2)],
    ),
    (
        "TRUST = True\nAutoTokenizer.from_pretrained('org/m', trust_remote_code=TRUST, "
        f"revision='{SHA}')",
        [("NBS-MDL-001", 2)],
    ),
    # unpinned hub downloads
    ("AutoModel.from_pretrained('bert-base-uncased')", [("NBS-MDL-002", 1)]),
    ("AutoModel.from_pretrained('org/m', revision='main')", [("NBS-MDL-002", 1)]),
    ("AutoModel.from_pretrained('org/m', revision='0123abc')", [("NBS-MDL-002", 1)]),
    ("MODEL = 'org/m'\n\nAutoModel.from_pretrained(MODEL)", [("NBS-MDL-002", 3)]),
    (
        "from huggingface_hub import hf_hub_download\nhf_hub_download('org/m', 'model.bin')",
        [("NBS-MDL-002", 2)],
    ),
    (
        "from huggingface_hub import snapshot_download\nsnapshot_download(repo_id='org/m')",
        [("NBS-MDL-002", 2)],
    ),
    ("from datasets import load_dataset\nds = load_dataset('imdb')", [("NBS-MDL-002", 2)]),
    (
        "import transformers\ntransformers.pipeline('text-generation', model='org/m')",
        [("NBS-MDL-002", 2)],
    ),
    ("!huggingface-cli download org/m", [("NBS-MDL-002", 1)]),
    # torch.hub
    ("import torch\ntorch.hub.load('someone/yolo', 'model')", [("NBS-MDL-003", 2)]),
    (f"import torch\ntorch.hub.load('someone/yolo:{SHA}', 'model')", [("NBS-MDL-003", 2)]),
    # model files by URL
    ("!wget https://example.org/files/model.bin", [("NBS-MDL-004", 1)]),
    ("!curl -L -o weights.pt https://example.org/dl?id=3", [("NBS-MDL-004", 1)]),
    ("x = 1\n!wget -q https://example.org/a/b.pth \\\n    -P models/\ny = 2", [("NBS-MDL-004", 2)]),
    ("%%bash\ncd /tmp\nwget https://example.org/m.ckpt", [("NBS-MDL-004", 3)]),
    (
        "import urllib.request\nurllib.request.urlretrieve('https://h.org/m.pkl', 'm.pkl')",
        [("NBS-MDL-004", 2)],
    ),
    (
        "from urllib.request import urlretrieve\nurlretrieve('https://h.org/x', 'clf.joblib')",
        [("NBS-MDL-004", 2)],
    ),
    ("import requests\nr = requests.get('https://h.org/model.safetensors')", [("NBS-MDL-004", 2)]),
    (
        "import requests\nBASE = 'https://h.org'\nrequests.get(f'{BASE}/{name}.onnx')",
        [("NBS-MDL-004", 3)],
    ),
    ("import httpx\nhttpx.get('https://h.org/m.h5')", [("NBS-MDL-004", 2)]),
    ("import torch\ntorch.hub.load_state_dict_from_url('https://h.org/w')", [("NBS-MDL-004", 2)]),
    ("import os\nos.system('wget https://h.org/m.pt')", [("NBS-SRC-003", 2), ("NBS-MDL-004", 2)]),
    # pip from URLs / VCS
    ("%pip install git+https://github.com/someone/pkg.git", [("NBS-MDL-005", 1)]),
    ("!pip install -q https://h.org/pkg-1.0-py3-none-any.whl", [("NBS-MDL-005", 1)]),
    ("!python -m pip install 'pkg @ git+https://github.com/a/b@main'", [("NBS-MDL-005", 1)]),
    ("%pip install pkg@git+https://github.com/a/b", [("NBS-MDL-005", 1)]),
    # checkpoints fetched with urllib, keras archives extracted
    (
        "import urllib.request\n"
        "urllib.request.urlretrieve('https://h.org/ckpt/epoch=9.ckpt', 'last.ckpt')",
        [("NBS-MDL-004", 2)],
    ),
    (
        "import urllib\nurllib.request.urlretrieve('https://h.org/f/pytorch_model.bin', 'pm.bin')",
        [("NBS-MDL-004", 2)],
    ),
    (
        "from urllib.request import urlretrieve\nurlretrieve(URL, 'weights.bin')",
        [("NBS-MDL-004", 2)],
    ),
    (
        "from tensorflow import keras\n"
        "p = keras.utils.get_file('m.tar.gz', 'https://h.org/m/model.tar.gz', extract=True)",
        [("NBS-MDL-004", 2)],
    ),
    (
        "import tensorflow as tf\np = tf.keras.utils.get_file(\n"
        "    fname='resnet', origin='https://h.org/resnet50.zip', extract=True)",
        [("NBS-MDL-004", 2)],
    ),
    (
        "import tensorflow as tf\ntf.keras.utils.get_file('w.h5', 'https://h.org/dl?id=3')",
        [("NBS-MDL-004", 2)],
    ),
    # a hub id that is not one of the notebook's own folders
    (
        "model.save_pretrained('my-model')\nAutoModel.from_pretrained('other-model')",
        [("NBS-MDL-002", 2)],
    ),
    # loaded before the notebook wrote it: a download
    (
        "m = AutoModel.from_pretrained('my-model')\nm.save_pretrained('my-model')",
        [("NBS-MDL-002", 1)],
    ),
]

DECOYS = [
    f"AutoModel.from_pretrained('org/m', revision='{SHA}')",
    "AutoModel.from_pretrained('./checkpoints/best')",
    "AutoModel.from_pretrained('/models/bert')",
    "AutoModel.from_pretrained('models/org/name')",
    "AutoModel.from_pretrained(output_dir)",
    "AutoModel.from_pretrained('org/m', trust_remote_code=False, revision=REV)",
    f"REV = '{SHA}'\nAutoModel.from_pretrained('org/m', revision=REV)",
    "from datasets import load_dataset\nload_dataset('csv', data_files='train.csv')",
    f"from datasets import load_dataset\nload_dataset('imdb', revision='{SHA}')",
    "import torch\ntorch.hub.load('pytorch/vision', 'resnet18')",
    "import torch\ntorch.hub.load('./local_repo', 'model', source='local')",
    "!wget https://example.org/data.csv",
    "import requests\nrequests.get('https://api.example.org/v1/items')",
    "%pip install pandas==2.2.3",
    "!pip install -r requirements.txt",
    "model.save_pretrained('out/')",
    f"!huggingface-cli download org/m --revision {SHA}",
    # keras datasets are not models
    "import tensorflow as tf\n"
    "tf.keras.utils.get_file('flowers', origin='https://h.org/flower_photos.tgz', untar=True)",
    # folders the notebook wrote itself are local
    "model.save_pretrained('my-model')\nm = AutoModel.from_pretrained('my-model')",
    "args = TrainingArguments(output_dir='./results')\n"
    "m = AutoModel.from_pretrained('results/checkpoint-500')",
    "OUT = 'ft-model'\ntrainer.save_model(OUT)\nm = AutoModelForSeq.from_pretrained(OUT)",
    "import os\nos.makedirs('exported', exist_ok=True)\nAutoModel.from_pretrained('exported')",
    "import shutil\nshutil.unpack_archive('m.zip', 'unzipped', filter='data')\n"
    "AutoModel.from_pretrained('unzipped')",
]


@pytest.mark.parametrize(("source", "expected"), FLAGGED)
def test_flagged(source: str, expected: list[tuple[str, int]]) -> None:
    found = hits(check_cell_source(source, scope=NameScope()))
    assert sorted(found) == sorted(expected)


@pytest.mark.parametrize("source", DECOYS)
def test_decoys_stay_clean(source: str) -> None:
    assert check_cell_source(source, scope=NameScope()) == []


TRUSTED = Policy(trusted_sources=("huggingface.co/good-org", "models.example.com", "github.com/ok"))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (f"AutoModel.from_pretrained('evil-org/m', revision='{SHA}')", [("NBS-MDL-006", 1)]),
        (f"AutoModel.from_pretrained('good-org/m', revision='{SHA}')", []),
        (f"AutoModel.from_pretrained('good-org-evil/m', revision='{SHA}')", [("NBS-MDL-006", 1)]),
        ("!wget https://models.example.com/m.bin", [("NBS-MDL-004", 1)]),
        ("!wget https://other.example.net/m.bin", [("NBS-MDL-004", 1), ("NBS-MDL-006", 1)]),
        ("import torch\ntorch.hub.load('ok/repo', 'm')", []),
        ("%pip install git+https://github.com/ok/pkg", [("NBS-MDL-005", 1)]),
        ("%pip install git+https://gitlab.com/x/pkg", [("NBS-MDL-005", 1), ("NBS-MDL-006", 1)]),
    ],
)
def test_trusted_sources(source: str, expected: list[tuple[str, int]]) -> None:
    found = hits(check_cell_source(source, policy=TRUSTED, scope=NameScope()))
    assert sorted(found) == sorted(expected)


def test_constant_from_an_earlier_cell_is_resolved() -> None:
    scope = NameScope()
    check_cell_source(f"MODEL_ID = 'org/m'\nREVISION = '{SHA}'", scope=scope)
    assert (
        check_cell_source("AutoModel.from_pretrained(MODEL_ID, revision=REVISION)", scope=scope)
        == []
    )
    found = check_cell_source("AutoModel.from_pretrained(MODEL_ID)", scope=scope)
    assert hits(found) == [("NBS-MDL-002", 1)]


def test_messages_never_carry_url_credentials() -> None:
    findings = check_cell_source(
        "!wget https://h.org/m.bin?token=Zx81kPq0Lm22AbQ9", scope=NameScope()
    )
    assert hits(findings) == [("NBS-MDL-004", 1), ("NBS-SEC-004", 1)]
    (model,) = (f for f in findings if f.rule == "NBS-MDL-004")
    assert "token" not in model.message and model.message.endswith("https://h.org/m.bin")


@pytest.mark.parametrize(
    "source",
    [
        f"import torch\ntorch.hub.load('{s.GITHUB}/yolov5', 'yolov5s')",
        f"import torch\ntorch.hub.load('ultralytics/yolov5:{s.GENERIC_TOKEN}', 'yolov5s')",
        f"import torch\ntorch.hub.load('https://x:{s.DB_PASSWORD}@h.org/r', 'm')",
        f"AutoModel.from_pretrained('org/{s.GENERIC_TOKEN}')",
        f"!huggingface-cli download org/{s.GENERIC_TOKEN}",
        f"!wget https://u:{s.DB_PASSWORD}@h.org/m.bin",
        f"!pip install git+https://{s.GITHUB}@github.com/org/pkg.git",
    ],
)
def test_model_source_messages_never_print_a_secret(source: str) -> None:
    findings = check_cell_source(source, scope=NameScope())
    assert any(f.rule.startswith("NBS-MDL-") for f in findings)
    for finding in findings:
        text = json.dumps(finding.to_dict())
        for secret in (s.GITHUB, s.GENERIC_TOKEN, s.DB_PASSWORD):
            assert secret not in text and secret[:12] not in text
