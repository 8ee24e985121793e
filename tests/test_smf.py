"""smf/ipmpd.xml against the illumos SMF DTD, plus what the DTD cannot see."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent
MANIFEST = REPO / "smf" / "ipmpd.xml"
METHOD = REPO / "smf" / "ipmpd"
# The DTD is third-party data and never committed: ../shared/smf/ beside the
# checkout, then $IPMPD_SMF_DTD, then the one every Solaris or illumos host has.
DTD_CANDIDATES = [
    REPO.parent / "shared" / "smf" / "service_bundle.dtd.1",
    *([Path(os.environ["IPMPD_SMF_DTD"])] if os.environ.get("IPMPD_SMF_DTD") else []),
    Path("/usr/share/lib/xml/dtd/service_bundle.dtd.1"),
]
DOCTYPE = '<!DOCTYPE service_bundle SYSTEM "/usr/share/lib/xml/dtd/service_bundle.dtd.1">'


def dtd() -> Path:
    for p in DTD_CANDIDATES:
        if p.exists():
            return p
    pytest.skip(
        "service_bundle.dtd.1 not found (looked in ../shared/smf/, $IPMPD_SMF_DTD and "
        "/usr/share/lib/xml/dtd/): set IPMPD_SMF_DTD to a copy of illumos "
        "usr/src/cmd/svc/dtd/service_bundle.dtd.1 to validate the manifest against it"
    )


def test_manifest_validates_against_the_dtd():
    p = subprocess.run(
        ["xmllint", "--noout", "--dtdvalid", str(dtd()), str(MANIFEST)], capture_output=True, text=True
    )
    assert p.returncode == 0, p.stderr


def test_broken_manifest_is_caught(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text(MANIFEST.read_text().replace('timeout_seconds="30"/>', "/>", 1))
    p = subprocess.run(
        ["xmllint", "--noout", "--dtdvalid", str(dtd()), str(bad)], capture_output=True, text=True
    )
    assert p.returncode == 3 and "timeout_seconds" in p.stderr


def test_doctype_is_exactly_what_svccfg_accepts():
    assert MANIFEST.read_text().splitlines()[1] == DOCTYPE


def properties() -> set[str]:
    root = ET.parse(MANIFEST).getroot()  # noqa: S314 - our own file
    out = set()
    for pg in root.iter("property_group"):
        for pv in pg.iter("propval"):
            out.add(f"{pg.get('name')}/{pv.get('name')}")
    return out


def test_every_property_the_method_reads_is_defined():
    defined = properties()
    root = ET.parse(MANIFEST).getroot()  # noqa: S314
    tokens = set()
    for m in root.iter("exec_method"):
        tokens |= set(re.findall(r"%\{([^}]+)\}", m.get("exec", "")))
    script = METHOD.read_text()
    read = set(re.findall(r"getprop (\S+/\S+)`", script)) | set(re.findall(r"svcprop -p (\S+/\S+)", script))
    assert read == {"config/command", "config/file", "config/listen"}
    assert (tokens | read) <= defined, (tokens | read) - defined
    # and every template prop_pattern names a defined property
    for pat in root.iter("pg_pattern"):
        for prop in pat.iter("prop_pattern"):
            assert f"{pat.get('name')}/{prop.get('name')}" in defined


def test_methods_duration_and_identity():
    root = ET.parse(MANIFEST).getroot()  # noqa: S314
    service = root.find("service")
    assert service is not None and service.get("name") == "network/ipmpd"
    methods = {m.get("name"): m.get("exec") for m in root.iter("exec_method")}
    assert methods == {"start": "/lib/svc/method/ipmpd start", "stop": ":kill", "refresh": ":kill -HUP"}
    assert all(m.get("timeout_seconds", "").isdigit() for m in root.iter("exec_method"))
    assert "startd/duration" in properties()
    duration = [pv for pg in root.iter("property_group") if pg.get("name") == "startd" for pv in pg]
    assert duration[0].get("value") == "child"
    deps = {d.get("name"): [f.get("value") for f in d] for d in root.iter("dependency")}
    assert deps == {
        "network": ["svc:/milestone/network:default"],
        "filesystem-local": ["svc:/system/filesystem/local:default"],
    }
    cred = next(root.iter("method_credential"))
    assert cred.get("user") == "ipmpd"
    privs = cred.get("privileges", "").split(",")
    assert "basic" in privs and "sys_net_config" not in privs and "all" not in privs
    # least privilege by default: nothing that lets ipmpd disturb the host (ifconfig IF modlist)
    assert "net_rawaccess" not in privs and "sys_ip_config" not in privs
    assert root.find("service/template/common_name") is not None


def test_method_script_is_valid_sh():
    p = subprocess.run(["sh", "-n", str(METHOD)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


# quote_for_shell() in illumos usr/src/cmd/svc/svcprop/svcprop.c: svcprop prints
# "" for an empty string and puts a backslash before each of these.
SVCPROP_METACHARS = ";&()|^<>\n \t\\\"'`"


def svcprop_quote(value: str) -> str:
    if value == "":
        return '""'
    return "".join("\\" + c if c in SVCPROP_METACHARS else c for c in value)


def test_svcprop_quote_matches_svcprop():
    assert svcprop_quote("") == '""'
    assert svcprop_quote("/opt/ipmpd/bin/ipmpd") == "/opt/ipmpd/bin/ipmpd"
    assert (
        svcprop_quote("/usr/bin/python3.11 /opt/ipmpd/ipmpd.pyz")
        == "/usr/bin/python3.11\\ /opt/ipmpd/ipmpd.pyz"
    )
    assert svcprop_quote('a"b') == 'a\\"b'


# /sbin/sh is a Bourne shell on Solaris 10 and ksh93 on Solaris 11; posh keeps to POSIX.
SHELLS = [s for s in ("sh", "ksh93", "posh") if shutil.which(s)]


def run_method(
    tmp_path: Path, props: dict[str, str], fmri: str = "svc:/network/ipmpd:default", shell: str = "sh"
):
    """Run smf/ipmpd as svc.startd would, with svcprop and smf_include.sh stand-ins."""
    include = tmp_path / "smf_include.sh"
    include.write_text(
        "SMF_EXIT_OK=0\nSMF_EXIT_ERR_FATAL=95\nSMF_EXIT_ERR_CONFIG=96\nSMF_EXIT_ERR_NOSMF=99\n"
    )
    script = tmp_path / "method"
    script.write_text(METHOD.read_text().replace("/lib/svc/share/smf_include.sh", str(include)))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    # svcprop -p PG/PROP FMRI: the value as svcprop(1) prints it, one file a property
    values = tmp_path / "svcprop"
    shutil.rmtree(values, ignore_errors=True)
    values.mkdir()
    for name, value in props.items():
        (values / name.replace("/", ".")).write_text(svcprop_quote(value) + "\n")
    (bin_dir / "svcprop").write_text(
        f'#!/bin/sh\nf={values}/`echo "$2" | tr / .`\n[ -f "$f" ] || exit 1\ncat "$f"\n'
    )
    (bin_dir / "svcprop").chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    if fmri:
        env["SMF_FMRI"] = fmri
    return subprocess.run([shell, str(script), "start"], capture_output=True, text=True, env=env, timeout=10)


def test_method_script_starts_ipmpd_with_the_properties(tmp_path):
    fake = tmp_path / "ipmpd"
    fake.write_text('#!/bin/sh\necho "ARGS: $*"\n')
    fake.chmod(0o755)
    conf = tmp_path / "ipmpd.toml"
    conf.write_text("")
    p = run_method(tmp_path, {"config/command": str(fake), "config/file": str(conf), "config/listen": ""})
    assert p.returncode == 0 and p.stdout.strip() == f"ARGS: run --config {conf}"
    p = run_method(
        tmp_path, {"config/command": str(fake), "config/file": str(conf), "config/listen": "127.0.0.1:9742"}
    )
    assert p.stdout.strip() == f"ARGS: run --config {conf} --listen 127.0.0.1:9742"
    p = run_method(
        tmp_path, {"config/command": str(fake), "config/file": "/nonexistent.toml", "config/listen": ""}
    )
    assert p.stdout.strip() == "ARGS: run"  # no file: every group with defaults
    # svcprop escapes the blank and the parentheses; the method reads the path back whole
    odd = tmp_path / "ipmpd (site).toml"
    odd.write_text("")
    p = run_method(tmp_path, {"config/command": str(fake), "config/file": str(odd), "config/listen": ""})
    assert p.stdout.strip() == f"ARGS: run --config {odd}"


@pytest.mark.parametrize("shell", SHELLS)
def test_method_script_runs_a_zipapp_command(tmp_path, shell):
    """config/command = "PYTHON FILE": exec'd as PYTHON FILE run ..., not as one word."""
    pyz = tmp_path / "ipmpd.pyz"
    pyz.write_text("import json, sys\nprint(json.dumps(sys.argv))\n")
    conf = tmp_path / "ipmpd.toml"
    conf.write_text("")
    command = f"{sys.executable} {pyz}"
    p = run_method(
        tmp_path,
        {"config/command": command, "config/file": str(conf), "config/listen": "[::1]:9742"},
        shell=shell,
    )
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == [str(pyz), "run", "--config", str(conf), "--listen", "[::1]:9742"]
    # blanks around and between the words are only separators
    p = run_method(
        tmp_path,
        {"config/command": f"  {sys.executable}\t {pyz} ", "config/file": "", "config/listen": ""},
        shell=shell,
    )
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == [str(pyz), "run"]


def test_method_script_refuses_what_it_cannot_run(tmp_path):
    p = run_method(tmp_path, {"config/command": "/nonexistent/ipmpd", "config/file": "", "config/listen": ""})
    assert p.returncode == 96 and "is not an executable" in p.stderr
    # the first word must be the executable: a zipapp named first is not one
    pyz = tmp_path / "ipmpd.pyz"
    pyz.write_text("")
    command = f"{pyz} {sys.executable}"
    p = run_method(tmp_path, {"config/command": command, "config/file": "", "config/listen": ""})
    assert p.returncode == 96
    assert p.stderr.strip() == f"ipmpd: config/command: '{command}': '{pyz}' is not an executable file"
    for command in ("", str(tmp_path)):  # empty; a directory
        p = run_method(tmp_path, {"config/command": command, "config/file": "", "config/listen": ""})
        assert p.returncode == 96 and "config/command" in p.stderr, command
    p = run_method(tmp_path, {"config/file": "", "config/listen": ""})  # no such property
    assert p.returncode == 96 and "config/command" in p.stderr
    p = run_method(tmp_path, {}, fmri="")
    assert p.returncode == 99 and "svcadm enable ipmpd" in p.stderr
