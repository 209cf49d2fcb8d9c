"""Start-up of ``nbsec scan``: one command imports its own module only, one input starts no
process pool, and a scanning process never imports the machine-learning frameworks that
presidio's spaCy would otherwise pull in (benchmarks/bench_static_scan.py measures the time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nbsec.commands.light_imports import UNUSED, without_unused_frameworks
from nbsec.policy import Policy
from tests.source import notebook_builder as nb

PROBE = """
import json, sys
from nbsec.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _imported(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=300,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["code"], set(result["modules"])


def test_one_command_imports_only_its_own_module(tmp_path: Path) -> None:
    path = nb.write(tmp_path / "a.ipynb", nb.code("import pickle\nx = pickle.load(f)"))
    code, modules = _imported(tmp_path, "scan", "--no-cache", str(path))
    assert code == 1  # the unsafe load is found
    commands = {m for m in modules if m.startswith("nbsec.commands.")}
    assert not commands & {
        "nbsec.commands.report",
        "nbsec.commands.lineage",
        "nbsec.commands.pii",
        "nbsec.commands.scan_model",
        "nbsec.commands.redact",
    }
    # one input is scanned in-process: no pool, no multiprocessing
    assert "concurrent.futures.process" not in modules
    assert "multiprocessing" not in modules
    assert not modules & set(UNUSED)


def test_help_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    from nbsec.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name in ("scan", "redact", "scan-model", "pii", "report", "lineage", "ledger", "rules"):
        assert name in out


def test_frameworks_are_absent_inside_the_block_and_back_after() -> None:
    absent = [name for name in UNUSED if name not in sys.modules]
    with without_unused_frameworks(Policy()):
        for name in absent:
            with pytest.raises(ImportError):
                __import__(name)
    assert all(sys.modules.get(name, "gone") is not None for name in absent)


def test_a_transformer_pipeline_keeps_torch_importable() -> None:
    import dataclasses

    base = Policy()
    policy = dataclasses.replace(
        base, pii=dataclasses.replace(base.pii, spacy_model="en_core_web_trf")
    )
    with without_unused_frameworks(policy):
        assert all(sys.modules.get(name, "free") is not None for name in UNUSED)


@pytest.mark.long
def test_a_scan_that_loads_presidio_does_not_import_torch(tmp_path: Path) -> None:
    text = "name,email\nGrace Hopper,grace.hopper@navy-research.org\n"
    path = nb.write(tmp_path / "a.ipynb", nb.code("print(df)", nb.stream(text)))
    code, modules = _imported(tmp_path, "scan", "--no-cache", str(path))
    assert code in (0, 1)
    assert "presidio_analyzer" in modules and "spacy" in modules
    assert "torch" not in modules
