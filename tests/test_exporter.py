"""The collector: fresh families from ``latest``, linted by promtool, diffed against a golden file.

Regenerate the golden file after a reviewed change with
``IPMPD_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_exporter.py``.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import subprocess
from pathlib import Path

from helpers import DEMO, edit_file, tool
from prometheus_client import CollectorRegistry, generate_latest

from ipmpd import __version__
from ipmpd.checks import evaluate
from ipmpd.config import Config
from ipmpd.exporter import IpmpdCollector
from ipmpd.gather import gather
from ipmpd.runner import CaptureRunner
from ipmpd.state import Latest

GOLDEN = Path(__file__).parent / "golden" / "demo.metrics"
T0 = 1_790_000_000.0


def demo_latest() -> Latest:
    snap = gather(CaptureRunner(DEMO), run_modlist=True)
    # Fixed times and durations so the exposition is the same on every run.
    snap = dataclasses.replace(
        snap,
        taken_at=T0,
        modules_taken_at=T0,
        sources=tuple(dataclasses.replace(s, duration_seconds=0.25) for s in snap.sources),
    )
    results = tuple(
        dataclasses.replace(r, reason=r.reason.split(";")[0] if r.reason else None)
        for r in evaluate(snap, Config())
    )
    return Latest(
        snapshot=snap,
        results=results,
        last_gather=T0,
        last_success=T0,
        gather_duration=0.5,
        modules_taken_at=T0,
        config_reload_success=True,
        config_reload_at=T0,
        interval=60.0,
        modlist_interval=3600.0,
        started_at=T0 - 60.0,
    )


def exposition(latest: Latest) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(IpmpdCollector(lambda: latest))
    return generate_latest(registry).decode()


def test_promtool_check_metrics_is_clean():
    text = exposition(demo_latest())
    p = subprocess.run([tool("promtool"), "check", "metrics"], input=text, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_golden_demo_metrics():
    text = (
        exposition(demo_latest())
        .replace(f'python="{platform.python_version()}"', 'python="X"')
        .replace(f'version="{__version__}"', 'version="V"')
    )
    if os.environ.get("IPMPD_UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), "exposition changed: review and regenerate the golden file"


def test_values_for_the_demo_host():
    text = exposition(demo_latest())
    assert 'ipmpd_interface_drift{check="module-order",group="10g-failover",interface="e1000g1"} 1.0' in text
    assert (
        'ipmpd_check_result{check="module-order",check_severity="error",code="IPMP005",'
        'group="10g-failover",result="finding"} 1.0' in text
    )
    assert 'ipmpd_group_members{group="itops0"} 2.0' in text
    assert 'ipmpd_group_usable_members{group="10g-failover"} 2.0' in text
    assert 'ipmpd_group_min_members{group="10g-failover"} 2.0' in text
    assert 'ipmpd_group_state{group="10g-failover",state="ok"} 1.0' in text
    assert 'ipmpd_interface_state{group="10g-failover",interface="e1000g1",state="standby"} 1.0' in text
    assert (
        'ipmpd_interface_info{configured_modules="firewall",families="ipv4",group="10g-failover",'
        'interface="e1000g1",mac="00:0c:29:84:3b:d8",media="Ethernet",modules="arp,ip,firewall,e1000g"} 1.0'
        in text
    )
    assert 'ipmpd_source_up{source="modlist"} 1.0' in text
    assert "instance=" not in text and "zone=" not in text and "hostname" not in text


def test_resolved_finding_disappears_and_unknown_is_exported():
    latest = demo_latest()
    clean = dataclasses.replace(
        latest,
        results=tuple(dataclasses.replace(r, status="unknown", findings=()) for r in latest.results),
    )
    text = exposition(clean)
    assert "ipmpd_interface_drift{" not in text
    assert (
        'ipmpd_check_result{check="module-order",check_severity="error",code="IPMP005",'
        'group="10g-failover",result="unknown"} 1.0' in text
    )


def test_a_group_allowed_one_member_needs_one():
    text = exposition(dataclasses.replace(demo_latest(), single_groups=frozenset({"itops0"})))
    assert 'ipmpd_group_min_members{group="itops0"} 1.0' in text
    assert 'ipmpd_group_min_members{group="10g-failover"} 2.0' in text


def test_before_the_first_gather():
    text = exposition(Latest())
    assert "ipmpd_config_reload_success 1.0" in text
    samples = [line for line in text.splitlines() if not line.startswith("#")]
    assert not any(line.startswith("ipmpd_last_gather_timestamp_seconds") for line in samples)  # not zero


def test_a_daemon_that_never_gathered_exports_its_start_but_no_success():
    from prometheus_client.parser import text_string_to_metric_families

    samples = {
        s.name: s.value
        for fam in text_string_to_metric_families(exposition(Latest(started_at=T0)))
        for s in fam.samples
    }
    assert samples["ipmpd_start_time_seconds"] == T0
    assert "ipmpd_last_gather_success_timestamp_seconds" not in samples


def test_a_group_seen_only_in_the_boot_configuration_exports_no_runtime_state(demo_copy):
    from prometheus_client.parser import text_string_to_metric_families

    # The demo's own e1000g2 line, with another group (see test_verdicts).
    edit_file(
        demo_copy,
        "/etc/hostname.e1000g2",
        "172.16.36.93 netmask 255.255.255.0 broadcast + group backup0 deprecated -failover up\n",
    )
    snap = gather(CaptureRunner(demo_copy), run_modlist=True)
    text = exposition(Latest(snapshot=snap, results=evaluate(snap, Config())))
    samples = [s for fam in text_string_to_metric_families(text) for s in fam.samples]
    info = {s.labels["group"]: s.labels["seen_in"] for s in samples if s.name == "ipmpd_group_info"}
    assert info == {"10g-failover": "runtime,boot", "backup0": "boot", "itops0": "runtime,boot"}
    runtime_families = ("ipmpd_group_state", "ipmpd_group_usable_members", "ipmpd_group_members")
    assert not [s for s in samples if s.name in runtime_families and s.labels.get("group") == "backup0"]
    assert [s for s in samples if s.name == "ipmpd_group_state" and s.labels["group"] == "itops0"]
    assert any(
        s.name == "ipmpd_finding" and s.labels["group"] == "backup0" and s.labels["code"] == "IPMP012"
        for s in samples
    )
