"""Where ipmpd finds what it starts from: its configuration file, validated
against the checks it knows, and the bundled demo host.

Both the command line and the daemon use these; this module sits above
:mod:`ipmpd.config` and :mod:`ipmpd.checks`, so neither imports the other.
"""

from __future__ import annotations

import os
from importlib import resources
from typing import Optional

from ipmpd.checks import REGISTRY
from ipmpd.config import DEFAULT_CONFIG, Config, load


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


def demo_dir() -> str:
    """The bundled demo host: a capture of a Solaris 11 host with IPMP groups."""
    return str(resources.files("ipmpd") / "demo")
