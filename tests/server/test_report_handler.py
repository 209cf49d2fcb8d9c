"""The server's governance report of a saved notebook (``POST /nbsec/api/report``) in a real
Jupyter server: written beside the notebook by the report builder, named by API paths, masked,
confined to the root, refused for what is not a notebook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from tests.server.test_server_extension import EMAIL, PASSWORD, get_json, write_notebook


async def post_report(jp_fetch: Any, path: str) -> Any:
    # the first report of a server loads the PII engine: tens of seconds on a loaded machine
    response = await jp_fetch(
        "nbsec", "api", "report", method="POST", body="", params={"path": path}, request_timeout=300
    )
    assert response.code == 200
    return json.loads(response.body)


async def test_the_version_lists_the_report(jp_fetch: Any) -> None:
    payload = await get_json(jp_fetch, "version")
    assert {"scan", "pre_save", "report"} <= set(payload["features"])


async def test_report_of_a_saved_notebook_is_written_beside_it(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    write_notebook(jp_root_dir, "work/leaky.ipynb")
    answer = await post_report(jp_fetch, "work/leaky.ipynb")
    assert answer["path"] == "work/leaky.nbsec.ipynb"
    assert answer["html_path"] == "work/leaky.nbsec.html"
    assert answer["outcome"] == "fail" and answer["headline"]
    assert {"work/leaky.nbsec.ipynb", "work/leaky.nbsec.json", "work/leaky.nbsec.sarif"} <= set(
        answer["files"]
    )
    for name in answer["files"]:
        written = (jp_root_dir / name).read_text(encoding="utf-8")
        assert EMAIL not in written and PASSWORD not in written, name
    report = json.loads((jp_root_dir / "work/leaky.nbsec.json").read_text())
    rules = sorted(f["rule"] for f in report["findings"])
    assert rules == ["NBS-PII-003", "NBS-PKL-001", "NBS-SEC-005"]
    # the report notebook opens through Jupyter's own contents API
    opened = await jp_fetch("api", "contents", "work", "leaky.nbsec.ipynb")
    assert json.loads(opened.body)["type"] == "notebook"


async def test_report_at_the_root(jp_fetch: Any, jp_root_dir: Path) -> None:
    write_notebook(jp_root_dir, "leaky.ipynb")
    answer = await post_report(jp_fetch, "leaky.ipynb")
    assert answer["path"] == "leaky.nbsec.ipynb"
    assert (jp_root_dir / "leaky.nbsec.html").is_file()


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("../outside.ipynb", 400),
        ("/etc/passwd", 400),
        ("missing.ipynb", 404),
        ("notes.txt", 400),
        ("escape/leaky.ipynb", 404),
        ("done/leaky.nbsec.ipynb", 400),
    ],
)
async def test_report_paths_are_confined_to_the_root(
    jp_fetch: Any, jp_root_dir: Path, tmp_path: Path, path: str, code: int
) -> None:
    outside = tmp_path / "outside"
    write_notebook(outside, "leaky.ipynb")
    (jp_root_dir / "escape").symlink_to(outside, target_is_directory=True)
    (jp_root_dir / "notes.txt").write_text("x")
    write_notebook(jp_root_dir, "done/leaky.nbsec.ipynb")
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("nbsec", "api", "report", method="POST", body="", params={"path": path})
    assert info.value.code == code
    assert json.loads(info.value.response.body)["message"]
    assert not list(outside.glob("*.nbsec.*"))


async def test_report_needs_the_token(jp_fetch: Any, jp_root_dir: Path) -> None:
    write_notebook(jp_root_dir, "leaky.ipynb")
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            "nbsec",
            "api",
            "report",
            method="POST",
            body="",
            params={"path": "leaky.ipynb"},
            headers={"Authorization": ""},
        )
    assert info.value.code == 403
    assert not list(jp_root_dir.glob("*.nbsec.*"))
