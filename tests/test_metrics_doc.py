"""The README's metrics table (tools/metrics_table.py) against what ipmpd really serves.

The table is built from the collector the daemon registers.  To catch a
family the generator misses (a collector registered beside it, a family
yielded only in some state), ``ipmpd run`` is started for real over the
demo host (tests/daemon_harness.py) with one ``[[target]]`` on a closed
loopback port, and the families of its ``/metrics`` and of
``/probe?target=`` are compared with the table's.  No SSH
server is needed: ``/probe`` yields every family of a target, with or
without samples, and the closed port gives ``ipmpd_probe_success 0`` within
a second.  That the generator's own data fills every family with a sample
(so their label names are known) is checked inside the tool itself.
"""

from __future__ import annotations

import sys

import pytest
from daemon_harness import Daemon
from helpers import REPO, copy_demo, free_port, make_fakebin
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(REPO / "tools"))

import metrics_table


@pytest.fixture(scope="module")
def families() -> list[metrics_table.Family]:
    return metrics_table.served()


def test_the_readme_table_is_current(families):
    text = metrics_table.README.read_text()
    changes = metrics_table.diff(text, metrics_table.table(families))
    assert not changes, "README.md's metrics table is stale: run tools/metrics_table.py --write\n" + changes


def test_check_exits_1_with_a_diff_when_the_table_is_stale(tmp_path, capsys):
    readme = tmp_path / "README.md"
    text = metrics_table.README.read_text()
    readme.write_text(text.replace("| `ipmpd_build_info` |", "| `ipmpd_build_inf` |"))
    assert metrics_table.main(["--check"], readme) == 1
    assert "+| `ipmpd_build_info` |" in capsys.readouterr().out
    assert metrics_table.main(["--write"], readme) == 0
    assert readme.read_text() == text
    assert metrics_table.main([], readme) == 0


def test_a_family_without_a_meaning_is_refused(families):
    meanings = dict(metrics_table.MEANINGS)
    del meanings["ipmpd_probe_success"]
    with pytest.raises(metrics_table.TableError, match="ipmpd_probe_success: served but not documented"):
        metrics_table.table(families, meanings)


def test_a_meaning_for_a_family_not_served_is_refused(families):
    meanings = {**metrics_table.MEANINGS, "ipmpd_gone": "once was"}
    with pytest.raises(metrics_table.TableError, match="ipmpd_gone: documented in MEANINGS but not served"):
        metrics_table.table(families, meanings)


def test_a_family_with_no_sample_is_refused():
    from ipmpd.exporter import IpmpdCollector
    from ipmpd.state import Latest

    with pytest.raises(metrics_table.TableError, match="ipmpd_finding: /metrics serves it with no sample"):
        metrics_table.served({metrics_table.METRICS: IpmpdCollector(Latest)})


def test_a_region_without_markers_is_refused():
    with pytest.raises(metrics_table.TableError, match="no region"):
        metrics_table.with_table("# README\n", "| metric |\n")


def _names(text: str) -> set[str]:
    return {metrics_table.exposition_name(f) for f in text_string_to_metric_families(text)}


def test_the_table_lists_what_a_running_daemon_serves(tmp_path):
    (tmp_path / "id").write_text("")
    (tmp_path / "known_hosts").write_text("")
    target = (
        'target_timeout = "3s"\n\n'
        f'[[target]]\nname = "dead"\nhost = "127.0.0.1"\nport = {free_port()}\nuser = "ipmpd"\n'
        f'identity_file = "{tmp_path / "id"}"\nknown_hosts = "{tmp_path / "known_hosts"}"\n'
    )
    d = Daemon(tmp_path, copy_demo(tmp_path / "host"), make_fakebin(tmp_path / "bin"), extra=target)
    try:
        # once the first cycles are in: the local host's finding, the target's failed probe
        metrics = d.wait_for(lambda t: "ipmpd_finding{" in t)
        probe = d.wait_for(lambda t: "\nipmpd_probe_success 0.0" in t, path="/probe?target=dead")
    finally:
        d.stop()
    table = metrics_table.documented(metrics_table.README.read_text())
    on = {
        endpoint: {name for name, where in table.items() if endpoint in where}
        for endpoint in (metrics_table.METRICS, metrics_table.PROBE)
    }
    assert _names(metrics) == on[metrics_table.METRICS]
    assert _names(probe) == on[metrics_table.PROBE]
