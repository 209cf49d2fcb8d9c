"""nbsec's server extension in a real Jupyter server: the version and scan endpoints
(authentication, paths confined to the root, JSON errors) and the pre-save hook (redact, refuse,
per policy) through real saves of the contents API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from tornado.httpclient import HTTPClientError

from nbsec._version import __version__
from tests.source import notebook_builder as nb

EMAIL = "grace.hopper@navy-research.org"
PASSWORD = "Tr0ub4dor&3-prod"
# the first scan in a server loads the personal-data engine; on a loaded machine that can take
# longer than the client's default of 20 s (the test is about behaviour, never about time)
TIMEOUT = 300


def leaky_notebook() -> Any:
    cells = [
        nb.code("import pickle\nobj = pickle.load(open('m.pkl', 'rb'))"),
        nb.code("print(row)", nb.stream(f"contact {EMAIL}\nPassword: {PASSWORD}\n")),
        nb.markdown("All clear."),
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return notebook


def write_notebook(root: Path, name: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(leaky_notebook(), str(path))
    return path


async def get_json(jp_fetch: Any, *parts: str, **params: str) -> Any:
    response = await jp_fetch(
        "nbsec", "api", *parts, params=params or None, request_timeout=TIMEOUT
    )
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.body)


async def test_version(jp_fetch: Any) -> None:
    payload = await get_json(jp_fetch, "version")
    assert payload["nbsec_version"] == __version__
    assert payload["api_version"] == 1 and "scan" in payload["features"]


async def test_requests_without_the_token_are_refused(jp_fetch: Any) -> None:
    for route in ("version", "scan"):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch(
                "nbsec", "api", route, headers={"Authorization": ""}, request_timeout=TIMEOUT
            )
        assert info.value.code == 403


async def test_scan_of_a_saved_notebook(jp_fetch: Any, jp_root_dir: Path) -> None:
    write_notebook(jp_root_dir, "work/leaky.ipynb")
    payload = await get_json(jp_fetch, "scan", path="work/leaky.ipynb")
    assert payload["path"] == "work/leaky.ipynb" and payload["pii_checked"] is True
    found = sorted(
        (f["rule"], f["location"]["cell_index"], f["location"]["output_index"])
        for f in payload["findings"]
    )
    assert found == [("NBS-PII-003", 1, 0), ("NBS-PKL-001", 0, None), ("NBS-SEC-005", 1, 0)]
    assert payload["summary"]["active"] == 3 and payload["errors"] == []
    body = json.dumps(payload)
    assert EMAIL not in body and PASSWORD not in body


async def test_scan_applies_the_notebooks_policy(jp_fetch: Any, jp_root_dir: Path) -> None:
    write_notebook(jp_root_dir, "team/leaky.ipynb")
    (jp_root_dir / "team" / "nbsec.toml").write_text(
        '[[waivers]]\nrule = "NBS-PII"\nreason = "synthetic customers"\n'
    )
    payload = await get_json(jp_fetch, "scan", path="team/leaky.ipynb")
    assert [f["rule"] for f in payload["findings"]] == ["NBS-PKL-001", "NBS-SEC-005"]
    assert [w["rule"] for w in payload["waived"]] == ["NBS-PII-003"]
    assert payload["policy_file"].endswith("nbsec.toml")


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("", 400),
        ("../outside.ipynb", 400),
        ("work/../../outside.ipynb", 400),
        ("/etc/passwd", 400),
        ("missing.ipynb", 404),
        (".hidden/leaky.ipynb", 404),
        ("notes.txt", 400),
        ("escape/leaky.ipynb", 404),
    ],
)
async def test_paths_are_confined_to_the_root(
    jp_fetch: Any, jp_root_dir: Path, tmp_path: Path, path: str, code: int
) -> None:
    outside = tmp_path / "outside"
    write_notebook(outside, "leaky.ipynb")
    (jp_root_dir / "escape").symlink_to(outside, target_is_directory=True)
    write_notebook(jp_root_dir, ".hidden/leaky.ipynb")
    (jp_root_dir / "notes.txt").write_text("x")
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            "nbsec", "api", "scan", params={"path": path} if path else None, request_timeout=TIMEOUT
        )
    assert info.value.code == code
    error = json.loads(info.value.response.body)
    assert error["message"]


async def test_a_file_that_is_not_a_notebook_is_a_clear_error(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    (jp_root_dir / "broken.ipynb").write_text("{not json")
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            "nbsec", "api", "scan", params={"path": "broken.ipynb"}, request_timeout=TIMEOUT
        )
    assert info.value.code == 400


async def save(jp_fetch: Any, path: str, content: Any) -> Any:
    body = json.dumps({"type": "notebook", "format": "json", "content": content})
    return await jp_fetch("api", "contents", path, method="PUT", body=body, request_timeout=TIMEOUT)


@pytest.mark.parametrize("nbsec_config", [{"pre_save": "redact"}])
async def test_pre_save_hook_redacts(jp_fetch: Any, jp_root_dir: Path) -> None:
    response = await save(jp_fetch, "saved.ipynb", leaky_notebook())
    assert response.code in (200, 201)
    raw = (jp_root_dir / "saved.ipynb").read_text()
    assert EMAIL not in raw and PASSWORD not in raw
    saved = nbformat.reads(raw, as_version=4)
    nbformat.validate(saved)
    assert saved.cells[1].outputs[0].text == "contact [EMAIL_ADDRESS]\nPassword: [REDACTED]\n"
    rules = sorted(e["rule"] for e in saved.metadata.nbsec.redactions)
    assert rules == ["NBS-PII-003", "NBS-SEC-005"]
    # saving the redacted notebook again changes nothing
    await save(jp_fetch, "saved.ipynb", saved)
    assert (jp_root_dir / "saved.ipynb").read_text() == raw


@pytest.mark.parametrize("nbsec_config", [{"pre_save": "refuse"}])
async def test_pre_save_hook_refuses(jp_fetch: Any, jp_root_dir: Path) -> None:
    with pytest.raises(HTTPClientError) as info:
        await save(jp_fetch, "refused.ipynb", leaky_notebook())
    assert info.value.code == 409
    message = json.loads(info.value.response.body)["message"]
    assert "nbsec refused to save refused.ipynb" in message
    assert "cell 2 output 1 (stream)" in message and "NBS-PII-003" in message
    assert EMAIL not in message and PASSWORD not in message
    assert not (jp_root_dir / "refused.ipynb").exists()
    clean = leaky_notebook()
    clean.cells[1].outputs = []
    response = await save(jp_fetch, "refused.ipynb", clean)
    assert response.code in (200, 201)


@pytest.mark.parametrize("nbsec_config", [{"pre_save": "policy"}])
async def test_pre_save_hook_follows_the_policy(jp_fetch: Any, jp_root_dir: Path) -> None:
    (jp_root_dir / "strict").mkdir()
    (jp_root_dir / "strict" / "nbsec.toml").write_text('[redact]\non_save = "refuse"\n')
    with pytest.raises(HTTPClientError) as info:
        await save(jp_fetch, "strict/a.ipynb", leaky_notebook())
    assert info.value.code == 409
    await save(jp_fetch, "lenient.ipynb", leaky_notebook())
    assert EMAIL not in (jp_root_dir / "lenient.ipynb").read_text()


@pytest.mark.parametrize("nbsec_config", [{"pre_save": "redact", "pre_save_only": ["SEC"]}])
async def test_pre_save_hook_only_one_family(jp_fetch: Any, jp_root_dir: Path) -> None:
    await save(jp_fetch, "sec.ipynb", leaky_notebook())
    raw = (jp_root_dir / "sec.ipynb").read_text()
    assert EMAIL in raw and PASSWORD not in raw


async def test_pre_save_hook_is_off_by_default(jp_fetch: Any, jp_root_dir: Path) -> None:
    await save(jp_fetch, "plain.ipynb", leaky_notebook())
    assert EMAIL in (jp_root_dir / "plain.ipynb").read_text()


@pytest.mark.parametrize("nbsec_config", [{"pre_save": "redact"}])
async def test_pre_save_hook_fails_closed(
    jp_fetch: Any, jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbsec.source.redaction as redaction

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(redaction, "redact_notebook", broken)
    with pytest.raises(HTTPClientError) as info:
        await save(jp_fetch, "unchecked.ipynb", leaky_notebook())
    assert info.value.code == 500
    assert "was not saved" in json.loads(info.value.response.body)["message"]
    assert not (jp_root_dir / "unchecked.ipynb").exists()


async def test_a_redacted_notebook_opens_as_jupyterlab_opens_it(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """What `nbsec redact` writes is served by the contents API (what JupyterLab calls to open
    a notebook), valid, with its redactions recorded."""
    from nbsec.cli import main

    path = write_notebook(jp_root_dir, "shared/leaky.ipynb")
    assert main(["redact", str(path)]) == 0
    response = await jp_fetch(
        "api", "contents", "shared/leaky.ipynb", params={"content": "1"}, request_timeout=TIMEOUT
    )
    model = json.loads(response.body)
    assert model["type"] == "notebook" and model["format"] == "json"
    notebook = nbformat.from_dict(model["content"])
    nbformat.validate(notebook)
    assert notebook.cells[1].outputs[0].text == "contact [EMAIL_ADDRESS]\nPassword: [REDACTED]\n"
    assert len(notebook.metadata.nbsec.redactions) == 2
    scan = await get_json(jp_fetch, "scan", path="shared/leaky.ipynb")
    assert [f["rule"] for f in scan["findings"]] == ["NBS-PKL-001"]
