"""Lineage of a notebook outside a live session: execute it, or read what a kernel recorded.

:func:`execute_lineage` runs the notebook with nbclient in its own directory, with nbsec loaded
in the kernel (``%load_ext nbsec`` run silently before the first cell, so execution counts and
cell positions are the notebook's own). The kernel is told the notebook path
(``JPY_SESSION_NAME``, as Jupyter server does) and the session id (``NBSEC_LINEAGE_SESSION``), so
the ledger it writes is known; the graph is rebuilt from that ledger after the kernel has
unloaded nbsec (which closes the ledger). The executed notebook is not written anywhere.

:func:`recorded_lineage` finds lineage a kernel left behind: ``metadata.nbsec`` (full lineage
JSON, or a pointer to the ledger), else the newest ledger under ``.nbsec/ledger/`` beside the
notebook whose session header names this notebook.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbsec.errors import InputError, UsageError
from nbsec.findings import cell_label
from nbsec.lineage.graph import LineageGraph
from nbsec.lineage.ledger import LEDGER_DIR, ledger_path, read_entries
from nbsec.lineage.records import CellRecord
from nbsec.lineage.tracker import SESSION_ENV, new_session_id

LOAD_CODE = "%load_ext nbsec"
UNLOAD_CODE = "%unload_ext nbsec"


def records_from_ledger(path: Path) -> list[CellRecord]:
    return [
        CellRecord.from_dict(entry.get("data") or {})
        for entry in read_entries(path)
        if entry.get("kind") == "cell"
    ]


def _read_notebook(path: Path) -> Any:
    import nbformat

    try:
        return nbformat.read(str(path), as_version=4)  # type: ignore[no-untyped-call]
    except FileNotFoundError:
        raise InputError(f"{path}: no such notebook") from None
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: not a readable notebook ({first[:160]})") from None


@dataclass
class ExecutedRun:
    """A notebook run with nbsec loaded: the executed notebook (this run's outputs, never written
    anywhere), the session id, and the ledger the kernel wrote (``None`` when it wrote none)."""

    notebook: Any
    session_id: str
    ledger: Path | None


def execute_with_nbsec(
    notebook: str | os.PathLike[str],
    *,
    timeout: int = 600,
    kernel_name: str | None = None,
    allow_errors: bool = True,
    before_unload: str | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> ExecutedRun:
    """Execute ``notebook`` in its own directory with nbsec loaded in the kernel.

    Each cell is sent with its cell id in the request metadata (``cellId``, as JupyterLab sends
    it; nbclient sends none), so what the kernel records names the notebook's own cells; cells of
    notebooks without ids are matched by position and source hash. ``before_unload`` is code run
    silently after the last cell, before nbsec is unloaded (the report captures the session
    there); ``extra_env`` is added to the kernel's environment (``NBSEC_POLICY``, ...)."""
    from jupyter_client.kernelspec import NoSuchKernel
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    path = Path(notebook).resolve()
    nb = _read_notebook(path)
    session_id = new_session_id()
    env = dict(os.environ)
    env.update(extra_env or {})
    env["JPY_SESSION_NAME"] = str(path)
    env[SESSION_ENV] = session_id
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    options: dict[str, Any] = {
        "timeout": timeout,
        "allow_errors": allow_errors,
        "resources": {"metadata": {"path": str(path.parent)}},
        # the kernel app's own log lines (transport warnings, an interrupt at shutdown) are not
        # about the notebook; a kernel that dies is reported as such
        "extra_arguments": ["--IPKernelApp.log_level=CRITICAL"],
    }
    if kernel_name:
        options["kernel_name"] = kernel_name
    client = NotebookClient(nb, **options)
    try:
        run_sync(_execute)(client, nb, env, timeout, before_unload)
    except _CellFailed as failed:
        # the exception type only: its message can hold data values
        raise InputError(f"{path}: {cell_label(failed.index)} raised {failed.ename}") from None
    except DeadKernelError:
        raise InputError(f"{path}: the kernel died during execution") from None
    except NoSuchKernel as exc:
        raise InputError(f"{path}: no kernel named {exc.name!r} is installed") from None
    except TimeoutError:
        raise InputError(f"{path}: a cell ran longer than {timeout} s") from None
    ledger = ledger_path(path.parent, session_id)
    return ExecutedRun(nb, session_id, ledger if ledger.exists() else None)


def execute_lineage(
    notebook: str | os.PathLike[str],
    *,
    timeout: int = 600,
    kernel_name: str | None = None,
    allow_errors: bool = True,
) -> LineageGraph:
    """Execute ``notebook`` with nbsec loaded and return the lineage it recorded."""
    run = execute_with_nbsec(
        notebook, timeout=timeout, kernel_name=kernel_name, allow_errors=allow_errors
    )
    if run.ledger is None:
        raise InputError(
            f"{Path(notebook).resolve()}: the kernel wrote no lineage ledger (is nbsec importable "
            "by the kernel, and the lineage ledger enabled in the policy?)"
        )
    return LineageGraph.from_records(records_from_ledger(run.ledger))


class _CellFailed(Exception):
    def __init__(self, index: int, ename: str) -> None:
        super().__init__(index, ename)
        self.index, self.ename = index, ename


async def _execute(
    client: Any, nb: Any, env: dict[str, str], timeout: int, before_unload: str | None
) -> None:
    from nbclient.exceptions import CellExecutionError

    async with client.async_setup_kernel(env=env):
        await _run_silently(client, LOAD_CODE, timeout)
        sender = _CellIdSender(client.kc)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                sender.cell_id = cell.get("id") if isinstance(cell.get("id"), str) else None
                try:
                    await client.async_execute_cell(cell, index)
                except CellExecutionError as exc:
                    raise _CellFailed(index, str(getattr(exc, "ename", "") or "an error")) from None
        sender.cell_id = None
        if before_unload:
            await _run_silently(client, before_unload, timeout)
        await _run_silently(client, UNLOAD_CODE, timeout)


class _CellIdSender:
    """Makes ``kc.execute`` send the running cell's id as ``metadata.cellId`` of the request,
    as JupyterLab does, so the kernel's records name the cell rather than guess it."""

    def __init__(self, kc: Any) -> None:
        self.cell_id: str | None = None
        self._kc = kc
        self._original = kc.execute
        kc.execute = self.execute

    def execute(
        self,
        code: str,
        silent: bool = False,
        store_history: bool = True,
        user_expressions: dict[str, Any] | None = None,
        allow_stdin: bool | None = None,
        stop_on_error: bool = True,
    ) -> Any:
        if self.cell_id is None or silent:
            return self._original(
                code,
                silent=silent,
                store_history=store_history,
                user_expressions=user_expressions,
                allow_stdin=allow_stdin,
                stop_on_error=stop_on_error,
            )
        kc = self._kc
        content = {
            "code": code,
            "silent": silent,
            "store_history": store_history,
            "user_expressions": user_expressions or {},
            "allow_stdin": kc.allow_stdin if allow_stdin is None else allow_stdin,
            "stop_on_error": stop_on_error,
        }
        msg = kc.session.msg("execute_request", content, metadata={"cellId": self.cell_id})
        kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]


async def _run_silently(client: Any, code: str, timeout: int) -> None:
    """Run ``code`` in the kernel without history, events or a new execution count."""
    msg_id = client.kc.execute(code, silent=True, store_history=False)
    reply = await client.kc.get_shell_msg(timeout=timeout)
    while reply.get("parent_header", {}).get("msg_id") != msg_id:
        reply = await client.kc.get_shell_msg(timeout=timeout)
    content = reply.get("content", {})
    if content.get("status") != "ok":
        name = content.get("ename", "error")
        raise InputError(f"the kernel could not run {code!r} ({name})")


def recorded_lineage(notebook: str | os.PathLike[str]) -> LineageGraph:
    """Lineage recorded by an earlier kernel session of ``notebook``; raises
    :class:`~nbsec.errors.UsageError` when there is none (run with ``--execute``)."""
    path = Path(notebook).resolve()
    nb = _read_notebook(path)
    meta = nb.metadata.get("nbsec", {}) if hasattr(nb, "metadata") else {}
    meta = meta if isinstance(meta, dict) else {}
    lineage = meta.get("lineage")
    if isinstance(lineage, dict) and isinstance(lineage.get("cells"), list):
        return LineageGraph.from_json(lineage)
    ledger = recorded_ledger(path, meta)
    if ledger is not None:
        return LineageGraph.from_records(records_from_ledger(ledger))
    raise UsageError(
        f"{path}: no recorded lineage (no metadata.nbsec lineage and no ledger in "
        f"{path.parent / LEDGER_DIR}); run 'nbsec lineage --execute {path.name}'"
    )


def recorded_ledger(notebook: Path, meta: Mapping[str, Any]) -> Path | None:
    """The ledger a kernel session of ``notebook`` left: the one ``metadata.nbsec`` (``meta``)
    points to, else the newest under ``.nbsec/ledger/`` whose session header names the notebook."""
    lineage = meta.get("lineage")
    anchor = meta.get("ledger")  # {"path", "head", ...}; older notebooks: the path alone
    for pointer in (
        lineage.get("ledger") if isinstance(lineage, Mapping) else None,
        anchor.get("path") if isinstance(anchor, Mapping) else anchor,
    ):
        if isinstance(pointer, str) and pointer:
            candidate = (notebook.parent / pointer).resolve()
            # only a ledger in the notebook's own .nbsec/ledger: a notebook's metadata is
            # anyone's to write, and must not make a reader open other files
            inside = candidate.parent == (notebook.parent / LEDGER_DIR).resolve()
            if inside and candidate.suffix == ".jsonl" and candidate.is_file():
                return candidate
    return _newest_ledger_for(notebook.resolve())


def _newest_ledger_for(path: Path) -> Path | None:
    directory = path.parent / LEDGER_DIR
    if not directory.is_dir():
        return None
    best: tuple[int, Path] | None = None
    for candidate in directory.glob("*.jsonl"):
        try:
            with candidate.open("rb") as fh:
                header = json.loads(fh.readline() or b"{}")
            mtime = candidate.stat().st_mtime_ns
        except (OSError, ValueError):
            continue
        data = header.get("data") if isinstance(header, dict) else None
        # the header names the notebook by file name (older ledgers: by absolute path)
        ours = isinstance(data, dict) and data.get("notebook") in (path.name, str(path))
        if ours and (best is None or mtime > best[0]):
            best = (mtime, candidate)
    return best[1] if best else None
