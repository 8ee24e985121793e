"""The README's wheelhouse route, for a host with no network: on a connected
machine ``pip wheel --wheel-dir wheelhouse CHECKOUT`` with the host's Python
version; on the host ``pip install --no-index --find-links wheelhouse ipmpd``
into a fresh venv.  The install step here runs with no index, no pip
configuration and a proxy that refuses every connection, so anything it
would fetch fails the test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

SKIP = shutil.ignore_patterns(
    ".git", ".venv*", ".tools", "dist", "build", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The connected machine's step, on a copy of the checkout (two Pythons may run it at once)."""
    base = tmp_path_factory.mktemp("connected")
    src = base / "ipmpd"
    shutil.copytree(REPO, src, ignore=SKIP)
    out = base / "wheelhouse"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--wheel-dir",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr
    return out


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and "proxy" not in k.lower()}
    env.update(
        PIP_CONFIG_FILE=os.devnull,  # no index, find-links or constraint from the machine's pip.conf
        PIP_NO_INDEX="1",
        PIP_NO_CACHE_DIR="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        http_proxy="http://127.0.0.1:9",
        https_proxy="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
    )
    return env


def test_the_wheelhouse_holds_only_pure_python_wheels(wheelhouse):
    wheels = sorted(p.name for p in wheelhouse.iterdir())
    assert any(w.startswith("ipmpd-") for w in wheels), wheels
    assert any(w.lower().startswith("apscheduler-") for w in wheels), wheels
    # no SunOS wheels exist: every wheel must be py3-none-any
    assert all(w.endswith("-none-any.whl") for w in wheels), wheels


def test_offline_install_into_a_fresh_venv_runs(wheelhouse, tmp_path):
    venv = tmp_path / "opt-ipmpd"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    p = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--no-index", "--find-links", str(wheelhouse), "ipmpd"],
        capture_output=True,
        text=True,
        env=offline_env(),
        timeout=300,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Successfully installed" in p.stdout and "ipmpd-0" in p.stdout
    check = subprocess.run(
        [str(venv / "bin" / "ipmpd"), "check", "--demo"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert check.returncode == 1, check.stderr
    assert "IPMP005 module-order" in check.stdout
    # the installed daemon's imports, APScheduler's entry points among them
    probe = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "from ipmpd import daemon; from apscheduler.schedulers.background import BackgroundScheduler; "
            "s = BackgroundScheduler(); s.add_job(print, 'interval', seconds=60); print('ok')",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert probe.stdout.strip() == "ok", probe.stderr
