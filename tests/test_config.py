"""ipmpd.toml validation: every problem at once, each naming file and key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ipmpd.config import Config, ConfigError, load, parse_duration
from ipmpd.settings import load_config

EXAMPLE = Path(__file__).parent.parent / "ipmpd" / "example.toml"


def test_example_file_loads():
    cfg = load(str(EXAMPLE))
    assert cfg.daemon.interval == 60 and cfg.daemon.modlist_interval == 0  # modlist is opt-in
    assert cfg.checks.stateful_modules == ("pfil",)


def test_three_mistakes_three_messages(tmp_path):
    path = tmp_path / "ipmpd.toml"
    path.write_text(
        '[daemon]\ninterval = "soon"\n\n'
        '[checks]\nignore = ["IPMP999"]\n\n'
        '[[group]]\nname = "orapriv"\ninterfaces = ["e1000g4:1", "e1000g6"]\n'
    )
    with pytest.raises(ConfigError) as e:
        load_config(str(path))  # config.load with the check codes it is handed
    assert e.value.problems == [
        'daemon.interval: \'soon\' is not a duration like "60s", "5m" or "1h"',
        "checks.ignore[0]: 'IPMP999' is no such check code or name",
        "group[0].interfaces[0]: 'e1000g4:1' is a logical interface",
    ]
    p = subprocess.run(
        [sys.executable, "-m", "ipmpd", "check", "--demo", "--config", str(path)],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith(f"{path}: ") for line in lines)


@pytest.mark.parametrize(
    "text,problem",
    [
        ("[daemon]\nlisten = 'nowhere'\n", "daemon.listen: 'nowhere' is not ADDRESS:PORT"),
        ("[deamon]\n", "deamon: unknown key"),
        ("[daemon]\nintervall = '1s'\n", "daemon.intervall: unknown key"),
        ("[checks]\nseverity = { 'IPMP003' = 'fatal' }\n", "checks.severity.IPMP003: 'fatal' is not one of"),
        ("[[group]]\nname = ''\ninterfaces = []\n", "group[0].name: must be a non-empty string"),
        (
            "[[group]]\nname = 'a'\ninterfaces = ['e1000g0']\n[[group]]\nname = 'a'\ninterfaces = []\n",
            "group[1].name: group 'a' is configured twice",
        ),
        ("[[group]]\nname = 'a'\ninterfaces = ['$(x)']\n", "is not a valid link name"),
        ("[daemon]\ntls_cert_file = '/x'\n", "tls_cert_file and tls_key_file go together"),
        ("not toml at all = = =\n", "not valid TOML"),
    ],
)
def test_each_problem_names_its_key(tmp_path, text, problem):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load(str(path))
    assert any(problem in p for p in e.value.problems), e.value.problems
    assert str(e.value).startswith(str(path))


def test_unreadable_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as e:
        load(str(tmp_path / "missing.toml"))
    assert "cannot read" in e.value.problems[0]


def test_durations():
    assert parse_duration("90s") == 90 and parse_duration("1h") == 3600 and parse_duration(0) == 0
    assert parse_duration("250ms") == 0.25
    with pytest.raises(ValueError):
        parse_duration(True)


def test_defaults():
    cfg = Config()
    assert cfg.daemon.listen == "0.0.0.0:9742" and cfg.groups == ()


def test_the_example_target_block_loads_when_uncommented(tmp_path):
    text = EXAMPLE.read_text()
    block = text[text.index("\n# [[target]]\n") + 1 :]
    lines = [line[2:] if line.startswith("# ") else line for line in block.splitlines()]
    for name in ("id_ed25519", "known_hosts"):
        (tmp_path / name).write_text("")
    uncommented = "\n".join(lines).replace("/etc/ipmpd/", f"{tmp_path}/")
    cfg = load(str(tmp_path / "ipmpd.toml"), uncommented)
    t = cfg.targets[0]
    assert (t.name, t.port, t.modlist_interval, t.privilege) == ("sol10-db1", 22, 0, "none")
    assert t.groups[0].interfaces == ("ce0", "ce1")
    assert cfg.groups == () and cfg.for_target("sol10-db1").groups == t.groups
