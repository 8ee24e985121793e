"""The landing page escapes everything it shows."""

from __future__ import annotations

from helpers import edit_output, replace_in_output

from ipmpd import web
from ipmpd.checks import evaluate
from ipmpd.config import Config
from ipmpd.gather import gather
from ipmpd.runner import CaptureRunner
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
