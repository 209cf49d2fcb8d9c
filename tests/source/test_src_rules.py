"""NBS-SRC rules: dynamic code, shell injection, os.system, TLS off, curl | sh, tar extraction."""

from __future__ import annotations

import pytest

from nbsec.findings import Severity
from nbsec.source import NameScope, check_cell_source
from tests.source.conftest import hits

FLAGGED = [
    ("eval(user_input)", "NBS-SRC-001", 1),
    ("code = requests.get(u).text\nexec(code)", "NBS-SRC-001", 2),
    ("compile(src, '<x>', 'exec')", "NBS-SRC-001", 1),
    ("import builtins\nbuiltins.eval(expr)", "NBS-SRC-001", 2),
    ("import subprocess\nsubprocess.run(cmd, shell=True)", "NBS-SRC-002", 2),
    ("import subprocess as sp\nsp.Popen(f'ls {d}', shell=True)", "NBS-SRC-002", 2),
    ("from subprocess import check_output\ncheck_output('cat ' + p, shell=True)", "NBS-SRC-002", 2),
    ("import subprocess\nsubprocess.getoutput(cmd)", "NBS-SRC-002", 2),
    ("import os\nos.system(cmd)", "NBS-SRC-003", 2),
    ("import os\nos.popen(f'ls {path}')", "NBS-SRC-003", 2),
    ("import requests\nrequests.get(url, verify=False)", "NBS-SRC-004", 2),
    ("import httpx\nc = httpx.Client(verify=False)", "NBS-SRC-004", 2),
    ("session.get(url, verify=False)", "NBS-SRC-004", 1),
    ("import ssl\nctx = ssl._create_unverified_context()", "NBS-SRC-004", 2),
    ("!curl -fsSL https://get.example.sh | bash", "NBS-SRC-005", 1),
    ("!wget -qO- https://x.example/install.sh | sudo sh", "NBS-SRC-005", 1),
    ("%%bash\ncurl -s https://x.example/i.py | python3 -", "NBS-SRC-005", 2),
    (
        "import tarfile\nwith tarfile.open('m.tar.gz') as tar:\n    tar.extractall('out')",
        "NBS-SRC-006",
        3,
    ),
    ("import tarfile\nt = tarfile.open(p)\nt.extractall()", "NBS-SRC-006", 3),
    ("import tarfile\ntarfile.open(p).extractall(d)", "NBS-SRC-006", 2),
    ("import shutil\nshutil.unpack_archive('m.tar.gz', 'out')", "NBS-SRC-006", 2),
]

DECOYS = [
    "eval('1 + 1')",
    "exec('x = 1')",
    "import ast\nast.literal_eval(s)",
    "model.eval()",
    "import subprocess\nsubprocess.run(['ls', '-l'])",
    "import subprocess\nsubprocess.run(cmd)",
    "import subprocess\nsubprocess.run('ls -l', shell=True)",
    "import requests\nrequests.get(url, verify=True)",
    "import requests\nrequests.get(url, timeout=5)",
    "!curl -fsSL https://example.org/data.json -o data.json",
    "!cat file.txt | grep x",
    "import tarfile\nwith tarfile.open(p) as tar:\n    tar.extractall('out', filter='data')",
    "import zipfile\nwith zipfile.ZipFile(p) as z:\n    z.extractall('out')",
    "df.eval('a + b')",
]


@pytest.mark.parametrize(("source", "rule", "line"), FLAGGED)
def test_flagged(source: str, rule: str, line: int) -> None:
    found = hits(check_cell_source(source, scope=NameScope()), "SRC")
    assert (rule, line) in found, found


@pytest.mark.parametrize("source", DECOYS)
def test_decoys_stay_clean(source: str) -> None:
    assert hits(check_cell_source(source, scope=NameScope()), "SRC") == []


@pytest.mark.parametrize(
    ("source", "severity"),
    [("import os\nos.system('ls')", Severity.LOW), ("import os\nos.system(c)", Severity.MEDIUM)],
)
def test_os_system_severity_depends_on_the_argument(source: str, severity: Severity) -> None:
    (finding,) = check_cell_source(source, scope=NameScope())
    assert (finding.rule, finding.severity) == ("NBS-SRC-003", severity)
