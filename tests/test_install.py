"""smf/install run with a fake root and fake Solaris commands that record their argv."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent
INSTALL = REPO / "smf" / "install"
METHOD = REPO / "smf" / "ipmpd"
MANIFEST = REPO / "smf" / "ipmpd.xml"
EXAMPLE = REPO / "ipmpd" / "example.toml"


# Solaris 10's /bin/sh is a Bourne shell and Solaris 11's is ksh93; dash and
# posh keep to POSIX and bash --posix catches what only bash would allow.
def shells() -> dict[str, list[str]]:
    """Each shell found, once: sh is dash on Debian."""
    found: dict[str, list[str]] = {}
    seen = set()
    for name, argv in (
        ("sh", ["sh"]),
        ("dash", ["dash"]),
        ("posh", ["posh"]),
        ("ksh93", ["ksh93"]),
        ("bash-posix", ["bash", "--posix"]),
    ):
        path = shutil.which(argv[0])
        if path and os.path.realpath(path) not in seen:
            seen.add(os.path.realpath(path))
            found[name] = argv
    return found


SHELLS = shells()

# Recorded as one line a call: the command's name, then each argument after a tab.
RECORD = 'printf %s "${0##*/}" >>"$FAKE_LOG"; for a in "$@"; do printf "\\t%s" "$a" >>"$FAKE_LOG"; done; echo >>"$FAKE_LOG"'


def fake(name: str) -> str:
    """A command that records its call and exits $FAKE_<NAME>_EXIT (0)."""
    return f"#!/bin/sh\n{RECORD}\nexit ${{FAKE_{name.upper()}_EXIT:-0}}\n"


FAKES = {name: fake(name) for name in ("svccfg", "svcadm", "useradd", "groupadd", "chown", "sleep")}
# svcs -H -o state FMRI: the instance shows up (disabled) on call number
# $FAKE_SVCS_APPEARS; before that, or always if "never", svcs finds nothing.
FAKES["svcs"] = f"""#!/bin/sh
{RECORD}
n=`grep -c '^svcs' "$FAKE_LOG"`
if [ "${{FAKE_SVCS_APPEARS:-1}}" = never ] || [ "$n" -lt "${{FAKE_SVCS_APPEARS:-1}}" ]; then
    echo "svcs: Pattern '$4' doesn't match any instances" >&2
    exit 1
fi
echo disabled
"""
# uname as on the host named by FAKE_UNAME_S/R/V/O; no FAKE_UNAME_O: no -o, like Solaris 10's.
FAKES["uname"] = """#!/bin/sh
case "$1" in
-s) echo "$FAKE_UNAME_S" ;;
-r) echo "$FAKE_UNAME_R" ;;
-v) echo "$FAKE_UNAME_V" ;;
-o) [ -n "$FAKE_UNAME_O" ] || { echo "uname: illegal option -- o" >&2; exit 1; }
    echo "$FAKE_UNAME_O" ;;
*) exit 1 ;;
esac
"""
FAKES["id"] = '#!/bin/sh\necho "${FAKE_ID:-uid=0(root) gid=0(root)}"\n'

ETC = ["+ mkdir -p $ROOT/etc/ipmpd", "+ chown root:ipmpd $ROOT/etc/ipmpd", "+ chmod 0750 $ROOT/etc/ipmpd"]
USERS = [
    "+ groupadd ipmpd",
    "+ useradd -g ipmpd -d / -s /bin/false -c 'ipmpd monitor' ipmpd",
]


def installed(source: str, target: str, owner: str, mode: str) -> list[str]:
    """A file copied beside its place and renamed onto it."""
    return [
        f"+ cp {source} {target}.new",
        f"+ chown {owner} {target}.new",
        f"+ chmod {mode} {target}.new",
        f"+ mv -f {target}.new {target}",
    ]


EXAMPLE_STEPS = installed(
    "$REPO/ipmpd/example.toml", "$ROOT/etc/ipmpd/ipmpd.toml.example", "root:ipmpd", "0640"
)
METHOD_STEPS = ["+ mkdir -p $ROOT/lib/svc/method"] + installed(
    "$REPO/smf/ipmpd", "$ROOT/lib/svc/method/ipmpd", "root:bin", "0555"
)


def manifest_steps(directory: str) -> list[str]:
    return [f"+ mkdir -p $ROOT{directory}"] + installed(
        "$REPO/smf/ipmpd.xml", f"$ROOT{directory}/ipmpd.xml", "root:sys", "0444"
    )


def smf_steps(command: str) -> list[str]:
    # svccfg lexes its joined arguments again: the value keeps its own double quotes
    return [
        f"+ svccfg -s svc:/network/ipmpd setprop config/command = astring: '\"{command}\"'",
        "+ svcadm refresh svc:/network/ipmpd:default",
    ]


IMPORT = {
    "solaris10": manifest_steps("/var/svc/manifest/site")
    + ["+ svccfg import $ROOT/var/svc/manifest/site/ipmpd.xml"],
    "solaris11": manifest_steps("/lib/svc/manifest/site")
    + [
        "+ svcadm restart svc:/system/manifest-import:default",
        "+ svcs -H -o state svc:/network/ipmpd:default",
    ],
}
IMPORT["illumos"] = IMPORT["solaris11"]


def zipapp_on_solaris10(pyz: Path, conf: Path) -> tuple[str, ...]:
    """The zipapp route with a site configuration, run by /usr/bin/python3.11."""
    return (
        "--platform",
        "solaris10",
        "--pyz",
        str(pyz),
        "--python",
        "/usr/bin/python3.11",
        "--config",
        str(conf),
    )


@pytest.fixture
def host(tmp_path: Path) -> Host:
    return Host(tmp_path)


class Host:
    """An empty root, a bin directory of fakes and the log they write."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "root"
        self.root.mkdir()
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        self.log = tmp_path / "calls.log"
        self.log.write_text("")
        for name, text in FAKES.items():
            (self.bin / name).write_text(text)
            (self.bin / name).chmod(0o755)

    def run(
        self, *args: str, shell: str = "sh", root: bool = True, **env: str
    ) -> subprocess.CompletedProcess:
        argv = [*SHELLS[shell], str(INSTALL), *(["--root", str(self.root)] if root else []), *args]
        environ = {"PATH": f"{self.bin}:/usr/bin:/bin", "FAKE_LOG": str(self.log), **env}
        return subprocess.run(argv, capture_output=True, text=True, env=environ, timeout=30)

    def steps(self, p: subprocess.CompletedProcess) -> list[str]:
        """The commands printed, with the root and the checkout as $ROOT and $REPO."""
        out = p.stdout.replace(str(self.root), "$ROOT").replace(str(REPO), "$REPO")
        return [line for line in out.splitlines() if line.startswith("+ ")]

    def calls(self) -> list[list[str]]:
        text = self.log.read_text().replace(str(self.root), "$ROOT").replace(str(REPO), "$REPO")
        return [line.split("\t") for line in text.splitlines()]

    def tree(self) -> dict[str, str]:
        """Every path under the root with its mode, e.g. {"etc/ipmpd": "0750"}."""
        return {
            str(p.relative_to(self.root)): f"{stat.S_IMODE(p.stat().st_mode):04o}"
            for p in sorted(self.root.rglob("*"))
        }


def test_install_is_bourne_shell():
    assert INSTALL.read_text().splitlines()[0] == "#!/bin/sh"
    assert os.access(INSTALL, os.X_OK)
    for argv in SHELLS.values():
        p = subprocess.run([*argv, "-n", str(INSTALL)], capture_output=True, text=True)
        assert p.returncode == 0, (argv, p.stderr)


# What Solaris 10's /bin/sh (and its grep and id) do not have.
NON_BOURNE = {
    r"\$\(": "$(...) or $((...))",
    r"\[\[": "[[ ]]",
    r"(^\s*|[;&|({]\s*)local\s": "local",
    r"\$\{[^}]*[#%]": "${var#...}, ${var%...} or ${#var}",
    r"(^|[;&|]\s*|\b(if|then|else|do|while|until)\s+)!\s": "! pipeline",
    r"(\[|\btest) -e ": "test -e",
    r"\bgrep -[a-zA-Z]*q": "grep -q",
    r"\bid -u\b": "id -u",
    r"^\s*function\s": "function",
    r"<<<|&>": "bash redirection",
    r"\bexport \w+=": "export VAR=value",
    r"\becho -[neE]\b": "echo -n (Solaris echo prints it)",
    r"\bread -r\b": "read -r",
    r"\bsed -[a-zA-Z]*[Er]": "sed -E or -r",
    r"^\s*(typeset|declare|let)\s": "typeset, declare or let",
    r"\[ [^]]*==": "[ a == b ]",
    r"\$\{\w+:[0-9]": "${var:offset}",
}


def non_bourne(text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        code = re.sub(r"^\s*#.*", "", line)
        found += [
            f"{number}: {what}: {line.strip()}"
            for pattern, what in NON_BOURNE.items()
            if re.search(pattern, code)
        ]
    return found


@pytest.mark.parametrize("script", [INSTALL, METHOD], ids=["install", "method"])
def test_scripts_keep_to_the_bourne_shell(script):
    assert non_bourne(script.read_text()) == []


def test_the_bourne_check_catches_each_construct():
    for line in (
        "x=$(uname)",
        "n=$((n + 1))",
        "if [[ -f x ]]; then :; fi",
        "f() { local x; }",
        "\tlocal x=1",
        "echo ${x#/}",
        "echo ${x%%/*}",
        "echo ${#x}",
        "if ! grep x y; then :; fi",
        "[ -e /etc/group ]",
        "grep -q x y",
        "id -u",
        "function f {",
        "cat <<< x",
        "export PATH=/usr/bin",
        "echo -n x",
        "read -r line",
        "sed -E 's/a+/b/'",
        "typeset x=1",
        "let n=n+1",
        '[ "$a" == b ]',
        "echo ${x:1}",
    ):
        assert non_bourne(line), line
    for line in (
        "x=`uname`",
        "[ ! -f x ]",
        "# $(comments) are fine",
        "echo ${x:-y} ${x:+z}",
        "PATH=x; export PATH",
    ):
        assert non_bourne(line) == [], line


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("platform", ["solaris10", "solaris11", "illumos"])
def test_dry_run_prints_the_steps_and_changes_nothing(host, platform, shell):
    p = host.run("--dry-run", "--platform", platform, shell=shell, FAKE_ID="uid=100(joe) gid=10(staff)")
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    # no --pyz or --command: config/command is not touched (a re-run keeps what was set)
    assert host.steps(p) == USERS + ETC + EXAMPLE_STEPS + METHOD_STEPS + IMPORT[platform]
    assert "# no --pyz or --command: config/command is left as it is" in p.stdout
    assert f"# dry run for {platform}: these are the commands; nothing is changed" in p.stdout
    assert "#   svcadm enable ipmpd" in p.stdout
    assert host.tree() == {}
    assert host.calls() == []


@pytest.mark.parametrize("shell", SHELLS)
def test_dry_run_of_the_zipapp_route(host, shell, tmp_path):
    pyz = tmp_path / "ipmpd.pyz"
    pyz.write_text("")
    conf = tmp_path / "site.toml"
    conf.write_text("")
    # --python need not exist for a dry run: the steps can be read on another host
    p = host.run("--dry-run", *zipapp_on_solaris10(pyz, conf), shell=shell)
    assert p.returncode == 0, p.stderr
    assert host.steps(p) == (
        USERS
        + ETC
        + [
            *installed(str(conf), "$ROOT/etc/ipmpd/ipmpd.toml", "root:ipmpd", "0640"),
            "+ mkdir -p $ROOT/opt/ipmpd",
            *installed(str(pyz), "$ROOT/opt/ipmpd/ipmpd.pyz", "root:bin", "0444"),
        ]
        + METHOD_STEPS
        + IMPORT["solaris10"]
        + smf_steps("/usr/bin/python3.11 /opt/ipmpd/ipmpd.pyz")
    )
    assert host.tree() == {} and host.calls() == []


@pytest.mark.parametrize("shell", SHELLS)
def test_install_on_illumos_into_a_fake_root(host, shell):
    # The instance appears on the third svcs: two one-second sleeps.  sleep is
    # a ksh93 builtin, so there it is real and the instance comes at once.
    polls = 1 if shell == "ksh93" else 3
    p = host.run("--platform", "illumos", shell=shell, FAKE_SVCS_APPEARS=str(polls))
    assert p.returncode == 0, p.stderr
    assert host.tree() == {
        "etc": "0755",
        "etc/ipmpd": "0750",
        "etc/ipmpd/ipmpd.toml.example": "0640",
        "lib": "0755",
        "lib/svc": "0755",
        "lib/svc/manifest": "0755",
        "lib/svc/manifest/site": "0755",
        "lib/svc/manifest/site/ipmpd.xml": "0444",
        "lib/svc/method": "0755",
        "lib/svc/method/ipmpd": "0555",
    }
    root = host.root
    assert (root / "lib/svc/method/ipmpd").read_bytes() == METHOD.read_bytes()
    assert (root / "lib/svc/manifest/site/ipmpd.xml").read_bytes() == MANIFEST.read_bytes()
    assert (root / "etc/ipmpd/ipmpd.toml.example").read_bytes() == EXAMPLE.read_bytes()
    state = ["svcs", "-H", "-o", "state", "svc:/network/ipmpd:default"]
    assert host.calls() == [
        ["groupadd", "ipmpd"],
        ["useradd", "-g", "ipmpd", "-d", "/", "-s", "/bin/false", "-c", "ipmpd monitor", "ipmpd"],
        ["chown", "root:ipmpd", "$ROOT/etc/ipmpd"],
        ["chown", "root:ipmpd", "$ROOT/etc/ipmpd/ipmpd.toml.example.new"],
        ["chown", "root:bin", "$ROOT/lib/svc/method/ipmpd.new"],
        ["chown", "root:sys", "$ROOT/lib/svc/manifest/site/ipmpd.xml.new"],
        ["svcadm", "restart", "svc:/system/manifest-import:default"],
        *[state, ["sleep", "1"]] * (polls - 1),
        state,
    ]
    # what is printed is what was run; config/command keeps the manifest's default
    assert host.steps(p) == USERS + ETC + EXAMPLE_STEPS + METHOD_STEPS + IMPORT["illumos"]
    assert "config/command is left as it is (on a first install, /opt/ipmpd/bin/ipmpd)" in p.stdout
    assert "# svc:/network/ipmpd:default: disabled" in p.stdout
    assert p.stdout.splitlines()[-5:] == [
        "# installed, not enabled.  Next:",
        "#   svcadm enable ipmpd",
        "#   svcadm restart ipmpd    (instead, if it was running: it still runs what it started with)",
        "#   svcs -xv ipmpd",
        "#   log: /var/svc/log/network-ipmpd:default.log",
    ]


def test_install_on_solaris10_with_a_zipapp_keeps_what_is_there(host, tmp_path):
    """ipmpd's user, group and ipmpd.toml exist already: none is touched."""
    (host.root / "etc/ipmpd").mkdir(parents=True)
    (host.root / "etc/group").write_text("root::0:\nipmpd::1001:\n")
    (host.root / "etc/passwd").write_text(
        "root:x:0:0:Super-User:/:/sbin/sh\nipmpd:x:1001:1001::/:/bin/false\n"
    )
    (host.root / "etc/ipmpd/ipmpd.toml").write_text("# the site's own\n")
    (host.root / "opt/ipmpd").mkdir(parents=True)
    (host.root / "opt/ipmpd/ipmpd.pyz").write_bytes(b"the old release")
    python = host.root / "usr/bin/python3.11"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
    pyz = tmp_path / "ipmpd.pyz"
    pyz.write_bytes(b"PK\x05\x06" + bytes(18))
    conf = tmp_path / "new.toml"
    conf.write_text("# new\n")
    # --root: no need to be root
    p = host.run(*zipapp_on_solaris10(pyz, conf), FAKE_ID="uid=100(joe) gid=10(staff)")
    assert p.returncode == 0, p.stderr
    assert (host.root / "etc/ipmpd/ipmpd.toml").read_text() == "# the site's own\n"
    assert "# keeping the existing $ROOT/etc/ipmpd/ipmpd.toml" in p.stdout.replace(str(host.root), "$ROOT")
    assert "# group ipmpd exists" in p.stdout and "# user ipmpd exists" in p.stdout
    assert (host.root / "opt/ipmpd/ipmpd.pyz").read_bytes() == pyz.read_bytes()
    tree = host.tree()
    assert tree["opt/ipmpd/ipmpd.pyz"] == "0444"
    assert tree["var/svc/manifest/site/ipmpd.xml"] == "0444"
    assert tree["lib/svc/method/ipmpd"] == "0555"
    assert "etc/ipmpd/ipmpd.toml.example" not in tree and "lib/svc/manifest" not in tree
    # the old zipapp was replaced by a rename: nothing half-copied, nothing left beside it
    assert not [path for path in tree if path.endswith(".new")]
    assert host.calls() == [
        ["chown", "root:ipmpd", "$ROOT/etc/ipmpd"],
        ["chown", "root:bin", "$ROOT/opt/ipmpd/ipmpd.pyz.new"],
        ["chown", "root:bin", "$ROOT/lib/svc/method/ipmpd.new"],
        ["chown", "root:sys", "$ROOT/var/svc/manifest/site/ipmpd.xml.new"],
        ["svccfg", "import", "$ROOT/var/svc/manifest/site/ipmpd.xml"],
        [
            "svccfg",
            "-s",
            "svc:/network/ipmpd",
            "setprop",
            "config/command",
            "=",
            "astring:",
            '"/usr/bin/python3.11 /opt/ipmpd/ipmpd.pyz"',
        ],
        ["svcadm", "refresh", "svc:/network/ipmpd:default"],
    ]


def test_install_on_solaris11_installs_a_new_config(host, tmp_path):
    conf = tmp_path / "site.toml"
    conf.write_text("[daemon]\n")
    venv = host.root / "opt/ipmpd/bin/ipmpd"
    venv.parent.mkdir(parents=True)
    venv.write_text("#!/bin/sh\n")
    venv.chmod(0o755)
    p = host.run("--platform", "solaris11", "--config", str(conf))
    assert p.returncode == 0, p.stderr
    assert (host.root / "etc/ipmpd/ipmpd.toml").read_text() == "[daemon]\n"
    tree = host.tree()
    assert tree["etc/ipmpd/ipmpd.toml"] == "0640" and "etc/ipmpd/ipmpd.toml.example" not in tree
    assert "is not there yet" not in p.stdout
    assert ["chown", "root:ipmpd", "$ROOT/etc/ipmpd/ipmpd.toml.new"] in host.calls()


@pytest.mark.parametrize(
    ("uname", "platform"),
    [
        ({"FAKE_UNAME_S": "SunOS", "FAKE_UNAME_R": "5.10", "FAKE_UNAME_V": "Generic_150400-59"}, "solaris10"),
        (
            {
                "FAKE_UNAME_S": "SunOS",
                "FAKE_UNAME_R": "5.11",
                "FAKE_UNAME_V": "omnios-r151046-5c7ea2f0a7",
                "FAKE_UNAME_O": "illumos",
            },
            "illumos",
        ),
        (
            {
                "FAKE_UNAME_S": "SunOS",
                "FAKE_UNAME_R": "5.11",
                "FAKE_UNAME_V": "11.4.42.111.0",
                "FAKE_UNAME_O": "Solaris",
            },
            "solaris11",
        ),
        # no -o: illumos before 2018 and Solaris 11 told apart by the version
        ({"FAKE_UNAME_S": "SunOS", "FAKE_UNAME_R": "5.11", "FAKE_UNAME_V": "illumos-1d1b1e4fb5"}, "illumos"),
        ({"FAKE_UNAME_S": "SunOS", "FAKE_UNAME_R": "5.11", "FAKE_UNAME_V": "11.3"}, "solaris11"),
        # GNU uname in PATH says Solaris on illumos too
        (
            {
                "FAKE_UNAME_S": "SunOS",
                "FAKE_UNAME_R": "5.11",
                "FAKE_UNAME_V": "joyent_20240101T000000Z",
                "FAKE_UNAME_O": "Solaris",
            },
            "illumos",
        ),
    ],
)
def test_platform_is_detected_from_uname(host, uname, platform):
    p = host.run("--dry-run", **uname)
    assert p.returncode == 0, p.stderr
    assert f"# dry run for {platform}:" in p.stdout
    manifest = "/var/svc/manifest/site" if platform == "solaris10" else "/lib/svc/manifest/site"
    assert f"+ mv -f $ROOT{manifest}/ipmpd.xml.new $ROOT{manifest}/ipmpd.xml" in host.steps(p)


def test_a_host_that_is_not_solaris_is_refused(host):
    p = host.run("--dry-run", FAKE_UNAME_S="Linux", FAKE_UNAME_R="6.1.0-18-amd64", FAKE_UNAME_V="#1 SMP")
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.splitlines() == [
        "ipmpd install: this host is Linux 6.1.0-18-amd64, not Solaris or illumos: "
        "pass --platform solaris10|solaris11|illumos with --dry-run to see the steps"
    ]


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["--bogus"], "unknown argument: --bogus"),
        (["--platform"], "--platform needs a value"),
        (["--platform", "aix"], "--platform: 'aix' is not solaris10, solaris11 or illumos"),
        (["--pyz", "PYZ"], "--pyz needs --python PATH"),
        (["--python", "/usr/bin/python3"], "--python goes with --pyz"),
        (
            ["--pyz", "PYZ", "--python", "/usr/bin/python3", "--command", "/x"],
            "--pyz and --command are two routes",
        ),
        (
            ["--pyz", "/nonexistent.pyz", "--python", "/usr/bin/python3"],
            "--pyz: '/nonexistent.pyz' is not a file",
        ),
        (["--pyz", "PYZ", "--python", "python3"], "--python: 'python3' is not an absolute path"),
        (["--command", "bin/ipmpd"], "the command must start with an absolute path"),
        (["--command", '/opt/ipmpd/bin/ipmpd "x"'], "the command may not hold quotes or backslashes"),
        (["--config", "/nonexistent.toml"], "--config: '/nonexistent.toml' is not a file"),
    ],
)
def test_bad_usage_exits_2(host, tmp_path, args, why):
    pyz = tmp_path / "ipmpd.pyz"
    pyz.write_text("")
    args = [str(pyz) if a == "PYZ" else a for a in args]
    p = host.run("--platform", "illumos", *args)
    assert p.returncode == 2, p
    assert p.stdout == ""
    assert p.stderr.splitlines()[0].startswith(f"ipmpd install: {why}")
    assert p.stderr.splitlines()[1].startswith("usage: ")
    assert host.tree() == {} and host.calls() == []


def test_other_usage_errors(host, tmp_path):
    p = host.run("--platform", "illumos", "--root", str(tmp_path / "nowhere"), root=False)
    assert p.returncode == 2 and "--root:" in p.stderr
    # --python must be there, except for a dry run
    pyz = tmp_path / "ipmpd.pyz"
    pyz.write_text("")
    p = host.run("--platform", "illumos", "--pyz", str(pyz), "--python", "/usr/bin/python3.11")
    assert (
        p.returncode == 2
        and f"--python: '{host.root}/usr/bin/python3.11' is not an executable file" in p.stderr
    )
    p = host.run("--platform", "illumos", IPMPD_INSTALL_WAIT="1m")
    assert p.returncode == 2 and "IPMPD_INSTALL_WAIT: '1m' is not a whole number of seconds" in p.stderr
    p = host.run("--help")
    assert p.returncode == 0 and p.stdout.startswith("usage: ")
    assert host.tree() == {} and host.calls() == []


def test_the_wait_for_manifest_import_times_out(host):
    p = host.run("--platform", "illumos", FAKE_SVCS_APPEARS="never")
    assert p.returncode == 1
    assert p.stderr.splitlines() == [
        "ipmpd install: svc:/network/ipmpd:default did not appear within 60 s of "
        "svcadm restart svc:/system/manifest-import:default: "
        "see svcs -xv manifest-import and /var/svc/log/system-manifest-import:default.log"
    ]
    calls = [c[0] for c in host.calls()]
    assert calls.count("svcs") == 60 and calls.count("sleep") == 59
    assert calls[-1] == "svcs" and "svccfg" not in calls  # nothing after the wait


def test_the_wait_is_set_by_ipmpd_install_wait(host):
    p = host.run("--platform", "solaris11", FAKE_SVCS_APPEARS="never", IPMPD_INSTALL_WAIT="3")
    assert p.returncode == 1 and "within 3 s" in p.stderr
    assert [c[0] for c in host.calls()].count("svcs") == 3
    assert "asking svcs once a second, up to 3 s" in p.stdout


def test_a_failed_step_is_named_and_stops_the_install(host):
    p = host.run("--platform", "solaris10", FAKE_SVCCFG_EXIT="1")
    assert p.returncode == 1
    assert p.stderr.splitlines() == [
        f"ipmpd install: step failed (exit 1): + svccfg import {host.root}/var/svc/manifest/site/ipmpd.xml"
    ]
    assert host.calls()[-1] == ["svccfg", "import", "$ROOT/var/svc/manifest/site/ipmpd.xml"]


def test_only_root_installs_on_the_running_system(host):
    p = host.run("--platform", "illumos", root=False, FAKE_ID="uid=100(joe) gid=10(staff)")
    assert p.returncode == 1
    assert p.stderr.splitlines() == ["ipmpd install: run this as root (or with --dry-run to see the steps)"]
    assert host.calls() == []
    # pfexec: the effective uid is root's.  Every step that could change this
    # machine fails here, so the install stops at the first one.
    (host.bin / "mkdir").write_text(fake("mkdir"))
    (host.bin / "mkdir").chmod(0o755)
    p = host.run(
        "--platform",
        "illumos",
        root=False,
        FAKE_ID="uid=100(joe) gid=10(staff) euid=0(root)",
        FAKE_GROUPADD_EXIT="1",
        FAKE_USERADD_EXIT="1",
        FAKE_MKDIR_EXIT="1",
    )
    assert p.returncode == 1 and "step failed (exit 1)" in p.stderr
    assert host.calls()[0][0] in {"groupadd", "useradd", "mkdir"} and len(host.calls()) == 1


def test_run_from_inside_smf_finds_the_example(host):
    """cd smf && ./install: the checkout is found from the script's own directory."""
    p = subprocess.run(
        [*SHELLS["sh"], "./install", "--root", str(host.root), "--dry-run", "--platform", "illumos"],
        capture_output=True,
        text=True,
        cwd=REPO / "smf",
        env={"PATH": f"{host.bin}:/usr/bin:/bin", "FAKE_LOG": str(host.log)},
        timeout=30,
    )
    assert p.returncode == 0, p.stderr
    assert EXAMPLE_STEPS[0] in host.steps(p)


def test_a_route_sets_config_command_and_a_rerun_without_one_keeps_it(host):
    venv = host.root / "opt/venv/bin/ipmpd"
    venv.parent.mkdir(parents=True)
    venv.write_text("#!/bin/sh\n")
    venv.chmod(0o755)
    p = host.run("--platform", "solaris10", "--command", "/opt/venv/bin/ipmpd")
    assert p.returncode == 0, p.stderr
    assert host.steps(p)[-2:] == smf_steps("/opt/venv/bin/ipmpd")
    host.log.write_text("")
    again = host.run("--platform", "solaris10")
    assert again.returncode == 0, again.stderr
    assert not [c for c in host.calls() if c[0] == "svccfg" and "setprop" in c]
    assert (host.root / "lib/svc/method/ipmpd").read_bytes() == METHOD.read_bytes()
