"""Keep a scanning process from importing machine-learning frameworks it never uses.

The PII engine builds on presidio, whose import pulls in spaCy, whose ``thinc`` imports PyTorch,
TensorFlow and h5py when they are installed, only to offer them as optional back-ends. A static
scan or a redaction never runs a neural network (the optional spaCy model is a CNN pipeline that
runs on numpy), yet importing PyTorch alone doubled the time to scan one notebook. Inside
:func:`without_unused_frameworks`, those modules are marked absent in ``sys.modules`` (an import
of them raises ``ImportError``, which ``thinc`` expects and handles), and are unmarked afterwards.

Only command processes use this (``nbsec scan``, ``nbsec redact`` and their workers): never the
kernel, where the user's own code may import PyTorch after nbsec loaded presidio. A policy that
names a transformer spaCy pipeline (``*_trf``, which needs PyTorch) turns it off.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

UNUSED = ("torch", "tensorflow", "jax", "mxnet", "h5py", "cupy")


@contextlib.contextmanager
def without_unused_frameworks(policy: Any = None) -> Iterator[None]:
    """Within the block, ``import torch`` (and the others of :data:`UNUSED`) fails as if it were
    not installed, unless it is already imported or ``policy`` needs it."""
    model = str(getattr(getattr(policy, "pii", None), "spacy_model", "") or "")
    if "trf" in model:
        yield
        return
    blocked = [name for name in UNUSED if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
