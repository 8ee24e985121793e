"""Where ipmpd finds what it starts from: its configuration file, validated
against the checks it knows, and the bundled demo host.

Both the command line and the daemon use these; this module sits above
:mod:`ipmpd.config` and :mod:`ipmpd.checks`, so neither imports the other.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from importlib import resources
from pathlib import Path
from typing import Any, Optional

from ipmpd.checks import REGISTRY
from ipmpd.config import DEFAULT_CONFIG, Config, load

# smf_method(7) exit codes, for ``ipmpd run``.  Here rather than in
# ipmpd.daemon because the command line needs them where importing the
# daemon fails (a Python without ssl).  For a startd/duration=child service
# only 96 means maintenance; any other exit is restarted, throttled
# (illumos svc.startd wait.c, wait_remove()).
SMF_EXIT_OK = 0
SMF_EXIT_ERR_FATAL = 95
SMF_EXIT_ERR_CONFIG = 96


def known_checks() -> frozenset[str]:
    """Every check code and name a configuration may refer to."""
    return frozenset(c.code for c in REGISTRY) | frozenset(c.name for c in REGISTRY)


def load_config(path: Optional[str]) -> Config:
    """``path``, or the default file when there is one, or the defaults."""
    if path is None:
        if not os.path.exists(DEFAULT_CONFIG):
            return Config()
        path = DEFAULT_CONFIG
    return load(path, checks=known_checks())


_demo_lock = threading.Lock()
_demo_copy: list[str] = []


def demo_dir() -> str:
    """The bundled demo host: a capture of a Solaris 11 host with IPMP groups.

    Installed, it is a directory of the package.  Inside the zipapp
    (``tools/build-pyz``) it is copied once to a private temporary directory,
    which is removed when the process exits."""
    demo = resources.files("ipmpd") / "demo"
    if os.path.isdir(str(demo)):
        return str(demo)
    with _demo_lock:
        if not _demo_copy:
            tmp = tempfile.mkdtemp(prefix="ipmpd-demo-")
            atexit.register(shutil.rmtree, tmp, True)
            _copy_tree(demo, Path(tmp))
            _demo_copy.append(tmp)
        return _demo_copy[0]


def _copy_tree(src: Any, dst: Path) -> None:
    """Copy an importlib.resources Traversable (a directory inside a zip) to ``dst``."""
    for entry in src.iterdir():
        if entry.is_dir():
            (dst / entry.name).mkdir()
            _copy_tree(entry, dst / entry.name)
        else:
            (dst / entry.name).write_bytes(entry.read_bytes())
