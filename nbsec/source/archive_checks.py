"""NBS-SRC-006: tar archives extracted without a path filter.

``tarfile`` follows member names such as ``../../.bashrc`` unless ``filter=`` is given
(CVE-2007-4559). An archive object is recognised when it comes from ``tarfile.open`` — directly
(``tarfile.open(p).extractall()``), through a name (``t = tarfile.open(p)``) or a ``with`` block;
the :class:`~nbsec.source.names.NameScope` remembers such names. ``shutil.unpack_archive`` without
``filter=`` is reported too. ``zipfile`` strips ``..`` and is not reported.
"""

from __future__ import annotations

import ast

from nbsec.source.call_site import CallSite
from nbsec.source.names import resolve


def tar_extract(site: CallSite) -> None:
    if site.kwarg("filter") is not None:
        return
    if site.name == "shutil.unpack_archive":
        site.report("NBS-SRC-006", "shutil.unpack_archive() without filter=", key="unpack_archive")
        return
    func = site.node.func
    if site.method not in ("extractall", "extract") or not isinstance(func, ast.Attribute):
        return
    receiver = func.value
    is_tar = (isinstance(receiver, ast.Name) and receiver.id in site.scope.tar_objects) or (
        isinstance(receiver, ast.Call)
        and resolve(receiver.func, site.scope) in site.rules.tar_openers
    )
    if is_tar:
        site.report(
            "NBS-SRC-006", f"tar archive {site.method}() without filter=", key=f"tar:{site.method}"
        )
