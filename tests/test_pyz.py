"""dist/ipmpd.pyz, the zipapp ``tools/build-pyz`` builds, run as a host with no
pip and no network would: ``python -I -S ipmpd.pyz``, so nothing outside the
file is importable.  It is run by the Python running these tests; ``.ci/run``
runs them on 3.9 and on the newest Python present, against the dist/ipmpd.pyz
it has just built (``IPMPD_PYZ``).  Without ``IPMPD_PYZ`` the tests build
their own copy (pip needs the package index, or a wheelhouse through
PIP_NO_INDEX and PIP_FIND_LINKS)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from helpers import REPO, free_port, stop_process


@pytest.fixture(scope="module")
def pyz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("IPMPD_PYZ")
    if given:
        assert Path(given).is_file(), f"IPMPD_PYZ={given}: no such file (tools/build-pyz builds it)"
        return Path(given)
    out = tmp_path_factory.mktemp("pyz") / "ipmpd.pyz"
    p = subprocess.run(
        [sys.executable, str(REPO / "tools" / "build-pyz"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    return out


def env(tmp: Path) -> dict[str, str]:
    (tmp / "t").mkdir(exist_ok=True)
    return {"PATH": os.environ["PATH"], "TMPDIR": str(tmp / "t"), "LC_ALL": "C"}


def run_pyz(pyz: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", "-S", str(pyz), *args],
        capture_output=True,
        text=True,
        cwd=tmp,
        env=env(tmp),
        timeout=120,
    )


def test_the_zip_carries_its_dependencies_metadata_and_an_exit_code_keeping_main(pyz):
    with zipfile.ZipFile(pyz) as z:
        names = z.namelist()
        main = z.read("__main__.py").decode()
    assert "raise SystemExit(main())" in main
    assert "ipmpd/demo/capture.json" in names and "ipmpd/collect.sh" in names
    for package in ("apscheduler/", "prometheus_client/", "structlog/", "tzlocal/", "tomli/"):
        assert any(n.startswith(package) for n in names), package
    # APScheduler finds its triggers and executors through these entry points
    assert any(n.startswith("apscheduler-") and n.endswith(".dist-info/entry_points.txt") for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_check_demo_runs_from_inside_the_zip_and_keeps_exit_1(pyz, tmp_path):
    p = run_pyz(pyz, tmp_path, "check", "--demo")
    assert p.returncode == 1, p.stderr
    assert "IPMP005 module-order: e1000g1" in p.stdout and p.stderr == ""
    # the demo was copied out of the zip to a private directory, removed at exit
    assert list((tmp_path / "t").iterdir()) == []
    v = run_pyz(pyz, tmp_path, "--version")
    assert v.returncode == 0 and v.stdout.startswith("ipmpd ")


def test_run_with_a_bad_config_exits_96_naming_the_file(pyz, tmp_path):
    bad = tmp_path / "ipmpd.toml"
    bad.write_text('[daemon]\ninterval = "often"\n')
    p = run_pyz(pyz, tmp_path, "run", "--config", str(bad))
    assert p.returncode == 96, p.stderr
    assert str(bad) in p.stderr and "daemon.interval" in p.stderr


def test_run_serves_metrics_and_stops_on_sigterm(pyz, tmp_path):
    port = free_port()
    log = (tmp_path / "run.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", str(pyz), "run", "--demo", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=log,
        cwd=tmp_path,
        env=env(tmp_path),
    )
    try:
        body = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "ipmpd_check_result{" not in body:
            assert proc.poll() is None, (tmp_path / "run.log").read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    body = r.read().decode()
            except OSError:
                time.sleep(0.2)
        assert 'ipmpd_check_result{check="module-order"' in body, body[-2000:]
        assert "ipmpd_last_gather_success_timestamp_seconds " in body
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        stop_process(proc)
        log.close()
    assert list((tmp_path / "t").iterdir()) == []
