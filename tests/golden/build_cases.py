"""Writes the golden notebooks of the static scanner (run once; review the diff; commit).

    PYTHONPATH=. .venv/bin/python tests/golden/build_cases.py
    PYTHONPATH=. .venv/bin/python -m pytest tests/source/test_golden.py --regen-golden

The script ends by running ``ruff format`` on the notebooks, so line numbers in the expected
files are those of the formatted cells.

Cell ids are fixed so that the notebooks (and fingerprints) are stable. The credentials inside are
fake (seeded random, see tests/source/secret_samples.py) and the personal data is invented.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.source import secret_samples as s
from tests.source.notebook_builder import frame_html

HERE = Path(__file__).parent
# golden notebooks hold deliberately risky, incomplete code: keep `ruff check` off them
LINT_EXEMPTION = "# ruff: noqa  (test fixture: deliberately risky code)\n"
SHA = "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"
KERNEL = {
    "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
    "language_info": {"name": "python"},
}


def code(source: str, *outputs: Any) -> Any:
    return new_code_cell(source, outputs=list(outputs), execution_count=1)


def stream(text: str) -> Any:
    return new_output("stream", name="stdout", text=text)


def write(name: str, *cells: Any, metadata: dict[str, Any] | None = None) -> None:
    nb = new_notebook(cells=list(cells), metadata={**KERNEL, **(metadata or {})})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name[:12]}-{i:02d}"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    first_code.source = LINT_EXEMPTION + first_code.source
    nbformat.write(nb, str(HERE / f"{name}.ipynb"))


def main() -> None:
    write(
        "pickle_calls",
        code(
            "import pickle as pk\nfrom pickle import loads as L\nimport numpy as np\n"
            "import torch, yaml, joblib, dill, cloudpickle, shelve\nimport pandas as pd"
        ),
        new_markdown_cell("Loading artefacts from the shared drive."),
        code("with open('model.pkl', 'rb') as f:\n    model = pk.load(f)\nstate = L(blob)"),
        code(
            "pipe = joblib.load('pipe.joblib')\ndf = pd.read_pickle('frame.pkl')\n"
            "arr = np.load('arr.npy', allow_pickle=True)"
        ),
        code(
            "%%time\nckpt = torch.load('ckpt.pt', map_location='cpu')\ncfg = yaml.load(text)\n"
            "cfg2 = yaml.unsafe_load(text)"
        ),
        code(
            "from tensorflow import keras\n"
            "m = keras.models.load_model('m.keras', safe_mode=False)\n"
            "f = getattr(pk, 'loads')\nx = f(b)\ny = __import__('pickle').load(fh)"
        ),
        code("a = dill.loads(b)\nc = cloudpickle.load(fh)\ndb = shelve.open('cache')"),
        code(
            "# decoys\nsafe = torch.load('w.pt', weights_only=True)\nplain = np.load('a.npy')\n"
            "conf = yaml.safe_load(text)\nimport json\nj = json.load(fh)\npk.dumps(model)"
        ),
    )
    write(
        "model_sources",
        code(
            "from transformers import AutoModelForCausalLM, AutoTokenizer\n"
            "MODEL_ID = 'acme-research/chat-7b'\n"
            f"PINNED = '{SHA}'"
        ),
        code(
            "model = AutoModelForCausalLM.from_pretrained(\n    MODEL_ID,\n"
            "    trust_remote_code=True,\n    revision=PINNED,\n)"
        ),
        code(
            "tok = AutoTokenizer.from_pretrained(MODEL_ID)\n"
            "from datasets import load_dataset\nds = load_dataset('acme-research/chats')"
        ),
        code("import torch\nyolo = torch.hub.load('someone/yolov5', 'yolov5s')"),
        code(
            "!wget -q https://files.example.net/releases/classifier.bin\n"
            "import urllib.request\n"
            "urllib.request.urlretrieve('https://files.example.net/m.pkl', 'm.pkl')"
        ),
        code(
            "%pip install git+https://github.com/someone/fancy-layers.git\n"
            "%pip install numpy==2.1.0"
        ),
        code("%%bash\nset -e\ncurl -L -o weights.pth https://files.example.net/w.pth"),
        code(
            "# decoys\nlocal = AutoModelForCausalLM.from_pretrained('./checkpoints/best')\n"
            f"ok = AutoTokenizer.from_pretrained(MODEL_ID, revision='{SHA}')\n"
            "vision = torch.hub.load('pytorch/vision', 'resnet18')\n"
            "csv = load_dataset('csv', data_files='train.csv')"
        ),
    )
    write(
        "trusted_sources",
        code(
            f"from transformers import AutoModel\nREV = '{SHA}'\n"
            "ok = AutoModel.from_pretrained('good-org/encoder', revision=REV)\n"
            "bad = AutoModel.from_pretrained('other-org/encoder', revision=REV)"
        ),
        code(
            "!wget https://models.example.com/approved/m.safetensors\n"
            "!wget https://mirror.example.net/m.safetensors"
        ),
    )
    write(
        "risky_code",
        code(
            "import os, subprocess, requests, tarfile, shutil\nexpr = input()\nresult = eval(expr)"
        ),
        code(
            "subprocess.run(f'convert {name}.png out.jpg', shell=True)\nos.system(cmd)\n"
            "os.system('nvidia-smi')"
        ),
        code("r = requests.get(api_url, verify=False)\n!curl -fsSL https://get.example.dev | sh"),
        code("with tarfile.open('model.tar.gz') as tar:\n    tar.extractall('models/')"),
        code(
            "# decoys\nsubprocess.run(['ls', '-l'])\nmodel.eval()\nvalue = eval('2 ** 8')\n"
            "with tarfile.open('m.tar') as t:\n    t.extractall('x', filter='data')"
        ),
    )
    write(
        "secrets_everywhere",
        new_markdown_cell(f"Deploy token for CI: `{s.GITHUB}`"),
        code(
            f"AWS_ACCESS_KEY_ID = '{s.AWS_KEY_ID}'\n"
            f"aws_secret_access_key = '{s.AWS_SECRET}'\n"
            f"client = OpenAI(api_key='{s.OPENAI}')"
        ),
        code(
            f"engine = create_engine('postgresql://etl:{s.DB_PASSWORD}@db.internal:5432/prod')\n"
            f"DB_PASSWORD = '{s.DB_PASSWORD}x'\n"
            f"%env HF_TOKEN={s.HUGGINGFACE}"
        ),
        code(
            "print(settings)",
            stream(f"slack: {s.SLACK}\nregion: eu-west-1\n"),
            new_output(
                "execute_result",
                execution_count=1,
                data={"application/json": {"stripe": {"key": s.STRIPE}}},
            ),
        ),
        code(
            "connect()",
            new_output(
                "error",
                ename="AuthError",
                evalue="denied",
                traceback=["\x1b[0;31mAuthError\x1b[0m", f"denied for key {s.GOOGLE_API}"],
            ),
        ),
        new_raw_cell(s.PRIVATE_KEY),
        code(f"headers = {{'X-Signature': sign(auth='{s.GENERIC_TOKEN}')}}"),
        code(
            "# decoys\nimport os\napi_key = os.environ['OPENAI_API_KEY']\nPASSWORD = 'changeme'\n"
            "token = '<your-token>'\n"
            "sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'"
        ),
        metadata={"deploy": {"gitlab_token": s.GITLAB}},
    )
    rows = [
        ["Ann Smith", "ann.smith@acme-corp.com", "(415) 555-0132", "42.10"],
        ["Bob Jones", "bob.jones@example.org", "212-555-0199", "13.75"],
        ["Cara Diaz", "cara.diaz@mail.io", "+1 646 555 0100", "99.00"],
        ["Dev Patel", "dev.patel@corp.example", "(312) 555-0147", "7.20"],
    ]
    write(
        "pii_outputs",
        code(
            "import pandas as pd\ndf = pd.read_csv('data/customers.csv')\ndf.head()",
            new_output(
                "execute_result",
                execution_count=1,
                data={
                    "text/html": frame_html(["name", "email", "phone", "spend"], rows),
                    "text/plain": "      name  ...  spend\n0  Ann Smith  ...  42.10",
                },
            ),
        ),
        code(
            "for r in df.itertuples():\n    print(r.email)",
            stream("ann.smith@acme-corp.com\nbob.jones@example.org\n"),
        ),
        code("df.spend.describe()", stream("count 4\nmean 40.51\n")),
        code(
            "notify(df.iloc[0])",
            new_output(
                "error",
                ename="SMTPError",
                evalue="rejected",
                traceback=["SMTPError: rejected", "recipient cara.diaz@mail.io refused"],
            ),
        ),
    )
    write(
        "decoys",
        code(
            "import os\nimport pandas as pd\nTOKEN = os.getenv('HF_TOKEN')\n"
            "df = pd.read_parquet('features.parquet')"
        ),
        new_markdown_cell(
            "![chart](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAA"
            "fFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==)\n"
            "Set `API_KEY=YOUR_API_KEY` before running."
        ),
        code(
            "df.plot()",
            new_output(
                "display_data",
                data={
                    "image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
                    "YPhfDwAC",
                    "text/plain": "<Figure size 640x480 with 1 Axes>",
                },
            ),
        ),
        code(
            "import torch, numpy as np, yaml, json\n"
            "w = torch.load('w.pt', weights_only=True)\na = np.load('a.npy')\n"
            "c = yaml.safe_load(open('c.yaml'))\nj = json.load(open('j.json'))\n"
            "from safetensors.torch import load_file\nt = load_file('m.safetensors')"
        ),
        code(
            f"from transformers import AutoModel\nm = AutoModel.from_pretrained('org/m', "
            f"revision='{SHA}')\nlocal = AutoModel.from_pretrained('/models/encoder')"
        ),
        code(
            "run_id = '9b2f6c1e-7d4a-4f3b-8e2a-1c5d7f9b3a6e'\n"
            "checksum = 'd41d8cd98f00b204e9800998ecf8427e'\nmax_tokens = 512",
            stream("epoch 1 loss 0.41\nepoch 2 loss 0.33\n"),
        ),
    )


def b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def own_block(source: str, cell_id: str, *extra: Any) -> Any:
    """An inline findings block as the kernel extension saves it."""
    from nbsec.findings import Location
    from nbsec.kernel.display import findings_bundle, heading_for
    from nbsec.source import NameScope, check_cell_source

    found = check_cell_source(source, location=Location(cell_id=cell_id), scope=NameScope())
    found += list(extra)
    return new_output("display_data", data=findings_bundle(found, heading_for(found, "code")))


def text_everywhere() -> None:
    """Secrets and personal data in every place a notebook keeps text."""
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><text x="1" y="1">SSN 536-22-8843</text></svg>'
    csv_link = (
        '<a download="customers.csv" href="data:text/csv;base64,'
        + b64("name,email\nAnn Smith,ann.smith@acme-corp.com\nBob Jones,bob.jones@example.org\n")
        + '">Download CSV</a>'
    )
    note = new_markdown_cell("Questions to jane.doe@acme-corp.com, see the attached note.")
    note["attachments"] = {
        "note.txt": {"text/plain": b64(f"aws key id {s.AWS_KEY_ID}\n")},
        "id card of maria.lopez@acme-corp.com.png": {"image/png": "iVBORw0KGgoAAAANSUhEUgAA"},
    }
    configured = code("settings = load()", stream("loaded\n"))
    configured["metadata"] = {"tags": ["setup"], "config": {"password": "hunter2-prod"}}
    write(
        "text_everywhere",
        note,
        configured,
        code("print(settings)", stream("user: etl\nPassword: Tr0ub4dor&3\n")),
        code(
            "requests.get(URL).raise_for_status()",
            new_output(
                "error",
                ename="HTTPError",
                evalue=f"401 Client Error: Unauthorized for url: https://api.acme.io/v2?api_key={s.GENERIC_TOKEN}",
                traceback=[
                    "\x1b[0;31mHTTPError\x1b[0m  Traceback (most recent call last)",
                    "\x1b[0;31mHTTPError\x1b[0m: 401 Client Error: Unauthorized for url: "
                    f"https://api.acme.io/v2?api_key={s.GENERIC_TOKEN}",
                ],
            ),
        ),
        code(
            "display(HTML(contact))",
            new_output(
                "display_data",
                data={
                    "text/html": '<p>Owner: <a href="mailto:maria.lopez%40acme-corp.com">Maria</a>'
                    f"</p>{csv_link}",
                    "text/plain": "<IPython.core.display.HTML object>",
                },
            ),
        ),
        code(
            "plot_ids()",
            new_output(
                "display_data",
                data={"image/svg+xml": svg, "text/plain": "<Figure>"},
            ),
        ),
        code(
            "show_config()",
            new_output(
                "display_data",
                data={
                    "application/vnd.acme.config+json": {"service": {"token": s.SLACK}},
                    "text/plain": "<Config>",
                },
            ),
        ),
        code('password = "Tr0ub4dor&3-x"\nlogin(password)'),
        code("print(password)", stream("Tr0ub4dor&3-x\n")),
        metadata={
            "widgets": {
                "application/vnd.jupyter.widget-state+json": {
                    "version_major": 2,
                    "version_minor": 0,
                    "state": {
                        "a1": {
                            "model_name": "TextModel",
                            "state": {"value": "alex.kim@acme-corp.com", "description": "Email"},
                        }
                    },
                }
            }
        },
    )


def own_outputs() -> None:
    """nbsec's own inline findings blocks: current ones are quiet, stale ones are reported once,
    a forged block does not hide data; a cell over the policy's size limit is reported."""
    from nbsec.findings import Finding, Location

    load = LINT_EXEMPTION + "import pickle\nobj = pickle.load(open('m.pkl', 'rb'))"
    hub = "from transformers import AutoModel\nm = AutoModel.from_pretrained('org/m')"
    frame = Finding.from_rule(
        "NBS-PII-001",
        "frame 'df' column 'name' holds PERSON (100% of 5), EMAIL_ADDRESS",
        Location(cell_id="own_outputs-03"),
        evidence="J*** S****, j***@a***.com",
        key="df|name|PERSON",
    )
    forged = new_output(
        "display_data",
        data={
            "application/vnd.nbsec.findings+json": {"v": 1, "findings": []},
            "text/plain": "contact ann.smith@acme-corp.com for access",
        },
    )
    cells = [
        code(load, own_block(load, "own_outputs-00")),
        code("x = 1", own_block(load, "own_outputs-01")),
        code(hub, own_block(hub, "own_outputs-02")),
        code("df.head()", own_block("df.head()", "own_outputs-03", frame)),
        code("df.tail()", forged),
        code("TABLE = {\n" + "".join(f"    'k{i}': {i},\n" for i in range(40)) + "}"),
    ]
    nb = new_notebook(cells=cells, metadata=KERNEL)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"own_outputs-{i:02d}"
    nbformat.write(nb, str(HERE / "own_outputs.ipynb"))
    (HERE / "own_outputs.policy.toml").write_text(
        "# Policy used with own_outputs.ipynb by the golden tests.\n"
        "[scan]\nmax_cell_chars = 300\n\n"
        '[[waivers]]\nrule = "NBS-MDL-002"\nreason = "internal mirror of the hub"\n'
    )


def format_notebooks() -> None:
    """``ruff format`` the notebooks so that ``ruff format --check`` over tests/ stays clean."""
    ruff = Path(sys.executable).with_name("ruff")
    notebooks = sorted(str(p) for p in HERE.glob("*.ipynb"))
    subprocess.run([str(ruff), "format", "--quiet", *notebooks], check=True)


if __name__ == "__main__":
    main()
    text_everywhere()
    own_outputs()
    format_notebooks()
