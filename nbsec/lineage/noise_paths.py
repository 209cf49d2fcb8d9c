"""Files a running cell opens that are not data: the interpreter, installed packages (and nbsec's
own files, wherever nbsec is installed from), package metadata read by the import machinery,
caches, kernel plumbing and a few system files read by name resolution or time zones. Reads and
writes under these are left out of lineage. Data, not logic: extend the tuples."""

from __future__ import annotations

import os
import site
import sys
import sysconfig
import tempfile

SYSTEM_PREFIXES = (
    "/proc/",
    "/sys/",
    "/dev/",
    "/usr/lib/",
    "/usr/share/",
    "/usr/local/lib/",
    "/etc/ssl/",
    "/etc/pki/",
)
SYSTEM_FILES = frozenset(
    (
        "/etc/hosts",
        "/etc/resolv.conf",
        "/etc/nsswitch.conf",
        "/etc/gai.conf",
        "/etc/host.conf",
        "/etc/localtime",
        "/etc/mime.types",
        "/etc/os-release",
    )
)
CODE_SUFFIXES = (".py", ".pyc", ".pyi", ".pyd", ".so", ".pth", ".dist-info", ".egg-info")
# package metadata the import machinery reads (importlib.metadata, entry points, editable finders)
CODE_PARTS = ("/__pycache__/", ".dist-info/", ".egg-info/", "/__editable__.")
HOME_CACHES = (  # not all of ~/.cache: models and data sets live there (huggingface, torch)
    "~/.cache/matplotlib/",
    "~/.cache/fontconfig/",
    "~/.cache/pip/",
    "~/.cache/uv/",
    "~/.cache/jedi/",
    "~/.cache/black/",
    "~/.ipython/",
    "~/.jupyter/",
    "~/.local/share/jupyter/",
    "~/.config/matplotlib/",
    "~/.matplotlib/",
    "~/.keras/keras.json",
)


def noise_prefixes(extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Path prefixes (with a trailing separator) whose files are never lineage."""
    roots = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sysconfig.get_paths().get("stdlib", ""),
        sysconfig.get_paths().get("purelib", ""),
        sysconfig.get_paths().get("platlib", ""),
        os.path.join(tempfile.gettempdir(), "ipykernel_"),
    }
    try:
        roots.update(site.getsitepackages())
        roots.add(site.getusersitepackages())
    except AttributeError:  # virtualenvs with an old site.py
        pass
    for env in ("JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        if os.environ.get(env):
            roots.add(os.environ[env])
    roots.update(os.path.expanduser(p) for p in HOME_CACHES)
    # nbsec's own rules and data files are read on first use, inside the user's cell
    roots.add(os.path.dirname(os.path.abspath(__file__)).rsplit(os.sep, 1)[0])
    roots.update(extra)
    out = [r if r.endswith(("/", "_")) else r + os.sep for r in roots if r]
    return tuple(sorted(set(out))) + SYSTEM_PREFIXES


def is_noise(path: str, prefixes: tuple[str, ...]) -> bool:
    return (
        path.startswith(prefixes)
        or path.endswith(CODE_SUFFIXES)
        or path in SYSTEM_FILES
        or any(part in path for part in CODE_PARTS)
    )
