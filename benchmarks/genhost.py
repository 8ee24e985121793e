"""Synthetic IPMP hosts of any size, written in the real output formats.

Every line is built in the layout of a published sample (see
tests/fixtures/samples and FORMATS.md): `ifconfig -a` blocks like the
NexentaStor/Solaris 10 samples (a TAB before body lines, the trailing space
after `netmask ff000000` and `ether`), ipmpstat/dladm/ipadm in parsable
form, `N module` modlist lines, and `/etc/hostname.IF` lines like the
NexentaStor ones.  The configured modules are those of the demo host (see
ipmpd/demo/PROVENANCE.md): an empty `autopush` link property per link,
illumos's own `/etc/iu.ap` and `/etc/name_to_major`, and `autopush -g`
answering "not configured" for every member; no `/etc/ipadm/ipadm.conf`.

An illumos host with N physical interfaces in groups of 2-4 (sizes cycle
2, 3, 4), one IPMP interface and one data address per group, a test address
on every member, a logical data alias on every third member, and IPv6
link-local on every member, so both families are present.

With ``drift=True`` every group carries one planted finding whose fix ipmpd
builds and renders, cycling through four kinds: a member's hostname file
without its group (IPMP012, a whole-file rewrite), a member offline
(IPMP013, if_mpadm -r), a module on one member only (IPMP005), and two
members sharing a MAC (IPMP004, dladm set-linkprop).

    python benchmarks/genhost.py 512 /tmp/host512
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parent.parent / "ipmpd" / "demo"


def _mac(n: int) -> str:
    return f"2:8:20:{(n >> 16) & 0xFF:x}:{(n >> 8) & 0xFF:x}:{n & 0xFF:x}"


def host(n_interfaces: int, drift: bool = False) -> dict[str, str]:
    """Return {relative file name: content} plus the capture.json text under "capture.json"."""
    sizes = [2, 3, 4]
    groups: list[list[str]] = []
    i = 0
    while i < n_interfaces:
        size = min(sizes[len(groups) % 3], n_interfaces - i)
        groups.append([f"e1000g{k}" for k in range(i, i + size)])
        i += size
    v4: list[str] = [
        "lo0: flags=2001000849<UP,LOOPBACK,RUNNING,MULTICAST,IPv4,VIRTUAL> mtu 8232 index 1",
        "\tinet 127.0.0.1 netmask ff000000 ",
    ]
    v6: list[str] = [
        "lo0: flags=2002000849<UP,LOOPBACK,RUNNING,MULTICAST,IPv6,VIRTUAL> mtu 8252 index 1",
        "\tinet6 ::1/128 ",
    ]
    gp, ip, tp, links, macs, ipadm_if, files = [], [], [], [], [], [], {}
    index = 2
    member_no = 0
    modlists: dict[str, str] = {}
    for g, members in enumerate(groups):
        kind = g % 4 if drift else None
        offline = members[-1] if kind == 1 else None
        gname, ipmp_if = f"grp{g}", f"ipmp{g}"
        net = f"10.{g // 250}.{g % 250}"
        v4 += [
            f"{ipmp_if}: flags=8001000843<UP,BROADCAST,RUNNING,MULTICAST,IPv4,IPMP> mtu 1500 index {index}",
            f"\tinet {net}.1 netmask ffffff00 broadcast {net}.255",
            f"\tgroupname {gname}",
        ]
        files[f"/etc/hostname.{ipmp_if}"] = f"ipmp group {gname} {net}.1 netmask 255.255.255.0 up\n"
        ipadm_if.append(f"{ipmp_if}:ok:bm--I---4-:---")
        index += 1
        for k, m in enumerate(members):
            member_no += 1
            mac = _mac(member_no - 1 if kind == 3 and k == 1 else member_no)  # kind 3: k=1 copies k=0
            standby = k == len(members) - 1 and len(members) > 2
            flags = (
                "69040843<UP,BROADCAST,RUNNING,MULTICAST,DEPRECATED,IPv4,NOFAILOVER,STANDBY,INACTIVE>"
                if standby
                else "9040843<UP,BROADCAST,RUNNING,MULTICAST,DEPRECATED,IPv4,NOFAILOVER>"
            )
            v4 += [
                f"{m}: flags={flags} mtu 1500 index {index}",
                f"\tinet {net}.{10 + k} netmask ffffff00 broadcast {net}.255",
                f"\tgroupname {gname}",
                f"\tether {mac} ",
            ]
            if member_no % 3 == 0:
                v4 += [
                    f"{m}:1: flags=1000843<UP,BROADCAST,RUNNING,MULTICAST,IPv4> mtu 1500 index {index}",
                    f"\tinet {net}.{100 + k} netmask ffffff00 broadcast {net}.255",
                ]
            v6 += [
                f"{m}: flags=20002000841<UP,RUNNING,MULTICAST,IPv6> mtu 1500 index {index}",
                f"\tinet6 fe80::{member_no:x}/10 ",
                f"\tgroupname {gname}",
                f"\tether {mac} ",
            ]
            index += 1
            if m == offline:
                row = "no:{}:-----d-:up:ok:offline"
            else:
                row = "no:{}:is-----:up:ok:ok" if standby else "yes:{}:--mb---:up:ok:ok"
            ip.append(f"{m}:" + row.format(ipmp_if))
            if kind == 2 and k == 0:
                modlists[m] = "modlist-firewall.out"
            tp.append(f"{m}:multicast:{net}.{10 + k}:{net}.254")
            links.append(f"{m}:Ethernet:up:1000:full:{m}")
            macs.append(f"{m}:primary:{mac.replace(':', chr(92) + ':')}:yes:{m}")
            ipadm_if.append(f"{m}:ok:bm------46:---")
            grouped = "" if kind == 0 and k == 0 else f" group {gname}"
            files[f"/etc/hostname.{m}"] = (
                f"{net}.{10 + k} netmask 255.255.255.0 broadcast +{grouped} deprecated -failover"
                f"{' standby' if standby else ''} up\n"
            )
            files[f"/etc/hostname6.{m}"] = f"{grouped.strip()} up\n".lstrip()
        active = [
            m
            for m in members
            if not (members.index(m) == len(members) - 1 and len(members) > 2) and m != offline
        ]
        inactive = [m for m in members if m not in active and m != offline]
        listing = " ".join(active) + (f" ({' '.join(inactive)})" if inactive else "")
        listing += f" [{offline}]" if offline else ""
        gp.append(f"{ipmp_if}:{gname}:{'degraded' if offline else 'ok'}:10.00s:{listing}")
    out = {
        "uname.out": "SunOS synth 5.11 omnios-r151044-d3b715b9d1 i86pc i386 i86pc\n",
        "ifconfig.out": "\n".join(v4 + v6) + "\n",
        "ipmpstat-g.out": "\n".join(gp) + "\n",
        "ipmpstat-i.out": "\n".join(ip) + "\n",
        "ipmpstat-t.out": "\n".join(tp) + "\n",
        "dladm-phys.out": "\n".join(links) + "\n",
        "dladm-macs.out": "\n".join(macs) + "\n",
        "ipadm-if.out": "\n".join(ipadm_if) + "\n",
        "ipadm-addr.out": "lo0/v4:static:ok:U----:U--:127.0.0.1/8\n",
        "modlist.out": "0 arp\n1 ip\n2 e1000g\n",
        "modlist-firewall.out": "0 arp\n1 ip\n2 firewall\n3 e1000g\n",
        "linkprop.out": "".join(f"{m}:\n" for members in groups for m in members),
        "empty.out": "",
        "not-configured.err": (DEMO / "autopush_not_configured.err").read_text(),
    }
    files["/etc/iu.ap"] = (DEMO / "etc_iu.ap").read_text()
    files["/etc/name_to_major"] = (DEMO / "etc_name_to_major").read_text()
    commands = [
        (["uname", "-a"], "uname.out"),
        (["ifconfig", "-a"], "ifconfig.out"),
        (["ipmpstat", "-g", "-P", "-o", "group,groupname,state,fdt,interfaces"], "ipmpstat-g.out"),
        (["ipmpstat", "-i", "-P", "-o", "interface,active,group,flags,link,probe,state"], "ipmpstat-i.out"),
        (["ipmpstat", "-t", "-P", "-o", "interface,mode,testaddr,targets"], "ipmpstat-t.out"),
        (["dladm", "show-phys", "-p", "-o", "link,media,state,speed,duplex,device"], "dladm-phys.out"),
        (["dladm", "show-phys", "-m", "-p", "-o", "link,slot,address,inuse,client"], "dladm-macs.out"),
        (["ipadm", "show-if", "-p", "-o", "ifname,state,current,persistent"], "ipadm-if.out"),
        (["ipadm", "show-addr", "-p", "-o", "addrobj,type,state,current,persistent,addr"], "ipadm-addr.out"),
        (["dladm", "show-linkprop", "-c", "-o", "link,value", "-p", "autopush"], "linkprop.out"),
    ]
    commands += [
        (["ifconfig", m, "modlist"], modlists.get(m, "modlist.out")) for members in groups for m in members
    ]
    file_entries = []
    for n, (path, text) in enumerate(sorted(files.items())):
        name = f"file{n}"
        out[name] = text
        file_entries.append({"path": path, "content": name})
    out["capture.json"] = json.dumps(
        {
            "format": "ipmpd-capture/1",
            "taken_at": "2026-11-24T10:00:00Z",
            "commands": [{"argv": a, "stdout": o} for a, o in commands]
            + [
                {
                    "argv": ["autopush", "-g", "-M", "186", "-m", str(int(m[len("e1000g") :]) + 1)],
                    "stdout": "empty.out",
                    "stderr": "not-configured.err",
                    "exit": 1,
                }
                for members in groups
                for m in members
            ],
            "files": file_entries + [{"path": "/etc/ipadm/ipadm.conf", "absent": True}],
        },
        indent=1,
    )
    return out


def write(n_interfaces: int, directory: Path, drift: bool = False) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in host(n_interfaces, drift).items():
        (directory / name).write_text(text)
    return directory


def fakebin(capture: Path, directory: Path) -> Path:
    """/bin/sh fake commands answering from ``capture`` (a shell `case`, so a
    spawn costs what a small shell script costs, not a Python start-up)."""
    directory.mkdir(parents=True, exist_ok=True)
    data = json.loads((capture / "capture.json").read_text())
    by_cmd: dict[str, list[tuple[str, str]]] = {}
    for c in data["commands"]:
        answer = f'exec cat "{capture / c["stdout"]}"'
        if c.get("exit"):
            answer = f'cat "{capture / c["stderr"]}" >&2; exit {c["exit"]}'
        by_cmd.setdefault(c["argv"][0], []).append((" ".join(c["argv"][1:]), answer))
    for cmd, cases in by_cmd.items():
        lines = ["#!/bin/sh", 'case "$*" in']
        lines += [f'"{args}") {answer} ;;' for args, answer in cases]
        lines += [f'*) echo "{cmd}: not faked: $*" >&2; exit 127 ;;', "esac"]
        script = directory / cmd
        script.write_text("\n".join(lines) + "\n")
        script.chmod(0o755)
    return directory


def main() -> int:
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    write(n, out)
    print(f"wrote a {n}-interface host to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
