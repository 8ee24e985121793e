"""Every parser and the capture loader, fed arbitrary text and bytes: a result or ParseError, nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipmpd.capture import CaptureError
from ipmpd.parsers import ParseError, dladm, eeprom, hostname, ifconfig, ipadm, ipmpstat, modlist, uname
from ipmpd.runner import CaptureRunner

PARSERS = [
    ifconfig.parse,
    modlist.parse,
    ipmpstat.parse_groups,
    ipmpstat.parse_interfaces,
    ipmpstat.parse_targets,
    dladm.parse_phys,
    dladm.parse_macs,
    ipadm.parse_if,
    ipadm.parse_addr,
    eeprom.parse,
    uname.parse,
    lambda text: hostname.parse("/etc/hostname.e1000g0", text),
]
# Text that looks like the real thing is more likely to reach deep branches.
ALPHABET = st.sampled_from(
    list("abcdefgil0123456789:\\ \t\n<>,=-/.[]()?#")
    + ["flags=", "inet ", "inet6 ", "ether ", "group ", "addif "]
)
texty = st.lists(ALPHABET, max_size=80).map("".join)
binary = st.binary(max_size=200).map(lambda b: b.decode("utf-8", errors="replace"))


@pytest.mark.parametrize("parse", PARSERS)
@settings(max_examples=150, deadline=None)
@given(text=st.one_of(st.text(max_size=200), texty, binary))
def test_parser_returns_or_raises_parse_error(parse, text):
    try:
        parse(text)
    except ParseError as e:
        assert e.lineno >= 0 and e.reason


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    manifest=st.one_of(
        st.binary(max_size=100),
        st.recursive(
            st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
            lambda children: st.one_of(
                st.lists(children, max_size=4),
                st.dictionaries(
                    st.sampled_from(
                        ["format", "commands", "files", "argv", "stdout", "exit", "path", "content"]
                    ),
                    children,
                    max_size=4,
                ),
            ),
            max_leaves=12,
        ).map(lambda v: json.dumps(v).encode()),
    )
)
def test_capture_loader_returns_or_raises_capture_error(tmp_path: Path, manifest: bytes):
    (tmp_path / "capture.json").write_bytes(manifest)
    try:
        runner = CaptureRunner(tmp_path)
    except CaptureError as e:
        assert "capture.json" in str(e)
        return
    assert runner.run(["nothing", "here"]).exit_status == 127
