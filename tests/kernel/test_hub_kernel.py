"""A hub download in a real kernel with nbsec loaded, against the local fake hub server."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbsec.kernel.display import MIME_TYPE
from tests.fakehub.server import FakeHub
from tests.kernel.harness import Kernel

pytestmark = pytest.mark.kernel


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub() as server:
        repo = server.repo("acme/churn-model")
        repo.add_commit(
            {"config.json": b'{"model_type": "logreg"}', "model.pkl": pickle.dumps({"w": [1.0]})}
        )
        yield server


@pytest.fixture
def hub_kernel(tmp_path: Path, hub: FakeHub) -> Iterator[Kernel]:
    env = {
        "HF_ENDPOINT": hub.endpoint,
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }
    k = Kernel(cwd=tmp_path, env=env)
    try:
        yield k
    finally:
        k.stop()


def findings_of(results: list[dict[str, object]]) -> list[dict[str, object]]:
    return [f for r in results if MIME_TYPE in r for f in r[MIME_TYPE]["findings"]]  # type: ignore[index, union-attr]


def test_unpinned_hub_download_is_flagged_and_recorded(hub_kernel: Kernel, hub: FakeHub) -> None:
    hub_kernel.execute("%load_ext nbsec")
    out = hub_kernel.execute(
        "from huggingface_hub import hf_hub_download\n"
        "path = hf_hub_download('acme/churn-model', 'model.pkl')\n"
        "import pickle\n"
        "weights = pickle.load(open(path, 'rb'))\n"
        "weights"
    )
    assert out.status == "ok", out.error
    assert out.value == "{'w': [1.0]}"
    rules = {(f["rule"], f["location"]["line"]) for f in findings_of(out.results)}
    assert ("NBS-MDL-002", 2) in rules  # unpinned, seen in the source before the cell ran
    assert ("NBS-PKL-001", 4) in rules
    models = hub_kernel.execute("%nbsec models").text()
    assert "hf_hub_download" in models
    assert "acme/churn-model" in models
    assert "pickle.load" in models
    assert any(
        path == "/api/models/acme/churn-model/revision/main" or "resolve/main" in path
        for _, path in hub.requests
    )
    state = json.loads(
        hub_kernel.execute(
            "import json\nfrom nbsec.kernel.extension import current\n"
            "print(json.dumps(current().state.summary()['models']))"
        ).stdout
    )
    download = next(m for m in state if m["api"] == "hf_hub_download")
    assert download["pinned"] is False
    assert len(download["sha256"]) == 64


def test_pinned_download_without_remote_code_is_quiet(hub_kernel: Kernel, hub: FakeHub) -> None:
    commit = hub.repos["acme/churn-model"].refs["main"]
    hub_kernel.execute("%load_ext nbsec")
    out = hub_kernel.execute(
        "from huggingface_hub import hf_hub_download\n"
        f"path = hf_hub_download('acme/churn-model', 'config.json', revision='{commit}')\n"
    )
    assert out.status == "ok", out.error
    assert findings_of(out.results) == []
    assert "pinned" in hub_kernel.execute("%nbsec models").text()
