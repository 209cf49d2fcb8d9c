"""Zips that a strict reader rejects or misreads, while PyTorch still reaches ``data.pkl``.

Each fixture's ``data.pkl`` imports ``os.system``. ``torch.load(..., weights_only=True)`` refuses
that global without running it, and the error it raises proves torch read the pickle: those are
the archives a scanner must not give up on. nbsec must call every one of them dangerous.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from nbsec.models import scan_model
from tests.models.model_corpus import corpus

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


@pytest.mark.parametrize(
    ("name", "zipfile_rejects", "torch_unpickles"),
    [
        ("mal_torch_unusual_names.bin", False, True),
        ("mal_torch_hidden_member.pt", False, False),  # torch never unpickles a data record
        ("mal_torch_flag_bit.pt", False, True),
        ("mal_torch_bad_crc.pt", True, True),
        ("mal_torch_name_mismatch.pt", True, True),
        ("mal_torch_prepended.pt", False, False),  # zipfile (numpy.load) copes, torch does not
    ],
)
def test_torch_reads_it_and_nbsec_flags_it(
    name: str, zipfile_rejects: bool, torch_unpickles: bool
) -> None:
    directory, _ = corpus()
    path: Path = directory / name
    strict_error = None
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                zf.read(info)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError) as exc:
        strict_error = exc
    assert (strict_error is not None) is zipfile_rejects
    if torch_unpickles:
        with pytest.raises(pickle_error()) as info:
            torch.load(io.BytesIO(path.read_bytes()), weights_only=True)
        assert "system" in str(info.value)
    scan = scan_model(path)
    assert (scan.format, scan.verdict) == ("pytorch-zip", "dangerous")
    assert "NBS-PKL-010" in {f.rule for f in scan.findings}


def pickle_error() -> type[Exception]:
    import pickle

    return pickle.UnpicklingError
