"""The administrator's commands: check, plan, checks, and the generated docs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import edit_output

from ipmpd.cli import checks_markdown

# The demo's e1000g1 gets firewall from its autopush link property.
RESET_AUTOPUSH = (
    "dladm reset-linkprop -p autopush e1000g1 (the per-driver list then applies: the /etc/iu.ap entry of "
    "driver e1000g); it takes effect when e1000g1 is next plumbed (replumb or reboot): then check that "
    "its live modules match (ipmpd check --modlist)"
)

REPO = Path(__file__).parent.parent


def ipmpd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ipmpd", *args], capture_output=True, text=True, timeout=60)


def test_check_demo_finds_the_planted_violation():
    p = ipmpd("check", "--demo")
    assert p.returncode == 1
    assert "ERROR   IPMP005 module-order: e1000g1 has STREAMS modules arp ip firewall" in p.stdout
    assert "fix: ifconfig e1000g1 modremove firewall@2" in p.stdout


def test_check_fail_on_follows_severities(tmp_path):
    assert ipmpd("check", "--demo", "--fail-on", "error").returncode == 1
    cfg = tmp_path / "c.toml"
    cfg.write_text('[checks]\nseverity = { "module-order" = "warning" }\n')
    assert ipmpd("check", "--demo", "--config", str(cfg), "--fail-on", "error").returncode == 0
    assert ipmpd("check", "--demo", "--config", str(cfg), "--fail-on", "warning").returncode == 1
    cfg.write_text('[checks]\nignore = ["IPMP005"]\n')
    assert ipmpd("check", "--demo", "--config", str(cfg), "--fail-on", "info").returncode == 0


def test_check_json_shape():
    p = ipmpd("check", "--demo", "--format", "json")
    data = json.loads(p.stdout)
    assert set(data) == {"could_not_look", "groups", "results", "findings", "snapshot"}
    assert data["could_not_look"] == []
    assert data["groups"] == [
        {"name": "10g-failover", "seen_in": ["runtime", "boot"]},
        {"name": "itops0", "seen_in": ["runtime", "boot"]},
    ]
    assert set(data["results"][0]) == {"group", "seen_in", "code", "name", "severity", "status", "reason"}
    assert data["findings"] == [
        {
            "group": "10g-failover",
            "code": "IPMP005",
            "name": "module-order",
            "severity": "error",
            "interfaces": ["e1000g1"],
            "message": "e1000g1 has STREAMS modules arp ip firewall but group 10g-failover expects arp ip "
            "(above driver e1000g).",
            "remediation": [
                "ifconfig e1000g1 modremove firewall@2",
                "# by hand: " + RESET_AUTOPUSH,
            ],
            "remedy": {
                "actions": [
                    {"action": "modremove", "interface": "e1000g1", "module": "firewall", "position": 2},
                    {"action": "by-hand", "text": RESET_AUTOPUSH},
                ],
                "verification": "by hand",
                "at_next_boot": False,
            },
        }
    ]
    assert len(data["results"]) == 28
    e1 = next(i for i in data["snapshot"]["interfaces"] if i["name"] == "e1000g1")
    assert e1["modules"] == ["arp", "ip", "firewall", "e1000g"]
    assert (e1["configured_modules"], e1["configured_from"]) == (
        ["firewall"],
        "dladm autopush property of e1000g1",
    )


def test_unknown_is_shown_in_text(demo_copy):
    edit_output(demo_copy, ["dladm", "show-phys", "-p", "-o", "link,media,state,speed,duplex,device"], None)
    p = ipmpd("check", "--capture", str(demo_copy))
    assert "UNKNOWN IPMP009 media-type: source not available: links (command not found)" in p.stdout


def test_plan_different_module_lists_fails_step_4():
    p = ipmpd("plan", "e1000g0", "e1000g1", "--group", "orapriv", "--demo")
    assert p.returncode == 1
    assert "Step 4: Same STREAMS modules in the same order; no stateful modules: FAIL" in p.stdout
    assert "fix: ifconfig e1000g1 modremove firewall@2" in p.stdout
    # Both belong to 10g-failover: the plan never moves them (PLAN001), it says so.
    assert "e1000g0 belongs to group 10g-failover (now); moving it to orapriv: it would empty" in p.stdout
    assert "# by hand: e1000g0 belongs to group 10g-failover" in p.stdout
    assert "ifconfig e1000g0 group orapriv" not in p.stdout


def test_plan_clean_interfaces_pass_what_they_can(demo_copy):
    p = ipmpd("plan", "e1000g2", "e1000g3", "--group", "orapriv", "--demo", "--format", "json")
    data = json.loads(p.stdout)
    assert p.returncode == 1  # PLAN001: they would empty itops0
    assert {s["step"]: s["verdict"] for s in data["steps"]} == {1: "fail", **{n: "pass" for n in range(2, 9)}}
    assert data["create"]["verification"] == "by hand"
    edit_output(demo_copy, ["uname", "-a"], "SunOS s11 5.11 11.4.0.15.0 i86pc i386 i86pc\n")
    edit_output(demo_copy, ["dladm", "show-phys", "-p", "-o", "link,media,state,speed,duplex,device"], None)
    p = ipmpd("plan", "e1000g2", "e1000g3", "--group", "orapriv", "--capture", str(demo_copy))
    assert p.returncode == 1
    assert "Step 7: Same media type: CANNOT TELL" in p.stdout
    assert "Step 2: Each interface has a unique MAC address: PASS" in p.stdout
    assert "# by hand: e1000g2 belongs to group itops0" in p.stdout
    assert "ipadm create-ipmp" not in p.stdout  # nothing could join: no empty IPMP interface


def test_plan_refuses_bad_names_logical_interfaces_and_duplicates():
    assert ipmpd("plan", "e1000g0;reboot", "e1000g1", "--group", "g", "--demo").returncode == 2
    p = ipmpd("plan", "e1000g2:1", "e1000g3", "--group", "g", "--demo")
    assert p.returncode == 2 and "e1000g2:1: a logical interface" in p.stderr and not p.stdout
    p = ipmpd("plan", "e1000g2", "e1000g3", "e1000g2", "--group", "g", "--demo")
    assert p.returncode == 2 and "e1000g2: named more than once" in p.stderr


def test_checks_lists_every_check():
    p = ipmpd("checks", "--format", "json")
    data = json.loads(p.stdout)
    assert [c["code"] for c in data][:2] == ["IPMP001", "IPMP002"] and len(data) == 14
    assert all(c["what"] and c["why"] and c["fix"] for c in data)


def test_docs_checks_md_is_current():
    current = (REPO / "docs" / "checks.md").read_text()
    assert current == checks_markdown(), "docs/checks.md is stale: run `ipmpd checks > docs/checks.md`"


def test_bad_capture_directory_is_a_clear_error(tmp_path):
    p = ipmpd("snapshot", "--capture", str(tmp_path))
    assert p.returncode == 2 and "capture.json: cannot read" in p.stderr
