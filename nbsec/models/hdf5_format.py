"""HDF5 files (Keras ``.h5``): the ``model_config`` attribute is checked like a Keras config.

HDF5 is a complex format; nbsec reads it through ``h5py`` if installed. Without h5py the file is
reported as not scanned (NBS-PKL-020, verdict ``unsupported``), never as safe. The file is opened
read-only from an in-memory copy of at most the per-member limit; datasets are not read.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from nbsec.models.keras_config import check_keras_json

if TYPE_CHECKING:
    from nbsec.models.pickle_walker import Buffer
    from nbsec.models.scan_context import ScanContext

_CONFIG_ATTRS = ("model_config", "training_config")


def scan_hdf5(ctx: ScanContext, data: Buffer, start: int, end: int, where: str) -> str:
    try:
        import h5py
    except ImportError:
        ctx.report(
            "NBS-PKL-020",
            f"{where}: HDF5 file; install h5py to check its Keras config",
            key=f"{where}:h5py",
        )
        return "hdf5"
    if end - start > ctx.limits.max_member_bytes:
        ctx.report(
            "NBS-PKL-020",
            f"{where}: HDF5 file larger than {ctx.limits.max_member_bytes >> 20} MiB; "
            "its config was not checked",
            key=f"{where}:size",
        )
        return "hdf5"
    try:
        with h5py.File(io.BytesIO(bytes(data[start:end])), "r") as h5:
            for attr in _CONFIG_ATTRS:
                if attr in h5.attrs:
                    value = h5.attrs[attr]
                    raw = value.decode("utf-8") if isinstance(value, bytes) else str(value)
                    check_keras_json(ctx, raw, f"{where} [{attr}]")
    except (OSError, ValueError, KeyError) as exc:
        ctx.report("NBS-PKL-021", f"{where}: unreadable HDF5 file ({exc})", key=f"{where}:h5")
    return "hdf5"
