"""The landing page escapes everything it shows, and dates what it shows."""

from __future__ import annotations

import html

from daemon_harness import Daemon
from helpers import drop_modlists, edit_output, replace_in_output

from ipmpd import web
from ipmpd.checks import evaluate
from ipmpd.config import Config
from ipmpd.gather import gather
from ipmpd.render import replayed
from ipmpd.runner import CaptureRunner
from ipmpd.settings import demo_dir
from ipmpd.state import Latest

EVIL = "<script>alert(1)</script>"


def test_group_name_with_script_is_escaped(demo_copy):
    replace_in_output(demo_copy, ["ifconfig", "-a"], "groupname itops0", f"groupname {EVIL}")
    edit_output(demo_copy, ["ipmpstat", "-g", "-P", "-o", "group,groupname,state,fdt,interfaces"], None)
    snap = gather(CaptureRunner(demo_copy), run_modlist=True)
    assert snap.group(EVIL) is not None
    results = evaluate(snap, Config())
    page = web.page(Latest(snapshot=snap, results=results, last_gather=snap.taken_at))
    assert EVIL not in page and "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "ifconfig e1000g1 modremove firewall@2" in page  # remediation shown
    assert "Last gather 0s ago" in page


def test_page_before_the_first_gather():
    assert "No gather has completed yet" in web.page(Latest())


# ------------------------------------------------------------------ a replay is dated by its capture


def replay_page(capture_dir) -> str:
    runner = CaptureRunner(capture_dir)
    snap = gather(runner)
    latest = Latest(
        snapshot=snap,
        results=evaluate(snap, Config()),
        last_gather=snap.taken_at,
        last_success=snap.taken_at,
        modules_taken_at=snap.modules_taken_at,
    )
    return html.unescape(web.page(latest, now=snap.taken_at + 3, replay=replayed(runner)))


def test_a_replayed_host_is_dated_by_its_capture():
    page = replay_page(demo_dir())
    assert (
        f"Host nexenta1 (illumos): a replay of a capture taken at 2026-11-24T10:00:00Z ({demo_dir()}); "
        "what follows is the host as it was then. Capture last replayed 3s ago; last successful replay 3s ago. "
        "STREAMS modules: configured (autopush) and live stream (ifconfig modlist) read at capture time, "
        "2026-11-24T10:00:00Z."
    ) in page
    assert "Last gather" not in page and "read 3s ago" not in page


def test_a_replay_without_modlists_says_the_capture_holds_none(demo_copy):
    drop_modlists(demo_copy)
    page = replay_page(demo_copy)
    assert (
        "STREAMS modules: configured (autopush) read at capture time, 2026-11-24T10:00:00Z; the live stream "
        "was not inspected (the capture holds no ifconfig modlist: it was taken without --modlist)."
    ) in page
    assert "set [daemon] modlist_interval" not in page  # no setting would make a replay read more


def test_a_live_host_keeps_its_ages():
    snap = gather(CaptureRunner(demo_dir()))
    latest = Latest(snapshot=snap, last_gather=snap.taken_at, modules_taken_at=snap.taken_at - 60)
    page = web.page(latest, now=snap.taken_at + 3)
    assert "Last gather 3s ago" in page and "live stream (ifconfig modlist) read 63s ago" in page
    assert "replay" not in page


def test_the_daemon_dates_a_replay_by_its_capture(tmp_path, demo_copy, fakebin):
    daemon = Daemon(tmp_path, demo_copy, fakebin, args=("--demo",))
    try:
        page = daemon.wait_for(lambda text: "<h2>Groups" in text, path="/")
    finally:
        daemon.stop()
    assert "a replay of a capture taken at 2026-11-24T10:00:00Z" in page
    assert "read at capture time, 2026-11-24T10:00:00Z" in page and "Last gather" not in page
