"""Apply a remedy to a snapshot, then reboot it from its boot configuration.

The simulator is how remedies are proven: ``prove()`` applies a finding's
remedy, re-runs the checks (the finding must clear and no new one appear),
then reboots -- rebuilds the runtime state from the simulated hostname files
and ipadm configuration the way net-physical would -- and checks again: the
finding must stay cleared, the reboot must add nothing a reboot without the
remedy would not, and every interface the remedy touched must come back
exactly as the fix left it (group, standby, families, IPv4 addresses with
their prefix and UP / DEPRECATED / NOFAILOVER).

What it models, and where it assumes:

* ``ifconfig`` words as hostname files use them (address, ``netmask`` with
  ``+`` answered by the netmask the host uses for that address now, else the
  classful default, ``addif``, ``up``/``down``, ``deprecated``,
  ``-failover``, ``standby``, ``group``, ``ipmp``); an error stops the
  command, as ifconfig does; ``group`` on a logical interface is an error.
* net-physical's reading of hostname files (``bootfile.commands``).
* Hardware (MACs, media, links) comes back as it was.  A replumbed
  interface gets the modules ifconfig pushes (``arp``, ``ip``) over the ones
  its autopush configuration gives it, when that is known, else its
  modules as they were: runtime module changes do not survive a reboot.
  Changing the autopush configuration is not modelled -- it is by hand.
* ipadm: interfaces and addresses restore as stored; where ipadm's group
  membership is not readable (Solaris 11), a member keeps its group.
* Clearview (Solaris 11, illumos): a group gets an IPMP interface when its
  first member joins; a member whose MAC duplicates another's is offlined
  (``h``) and onlined by in.mpathd once it is unique.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass, field
from typing import Optional

from ipmpd import model
from ipmpd.checks import Finding, evaluate
from ipmpd.config import Config
from ipmpd.gather import boot_from_files
from ipmpd.parsers import hostname
from ipmpd.remedy import actions as a
from ipmpd.remedy import bootfile

CLEARVIEW = ("solaris11", "illumos")
_MANAGED = {
    "UP",
    "DEPRECATED",
    "NOFAILOVER",
    "STANDBY",
    "INACTIVE",
    "FAILED",
    "OFFLINE",
    "IPMP",
    "IPv4",
    "IPv6",
}


class NotModelled(Exception):
    """The remedy holds a step the simulator cannot apply (verify by hand)."""


class Refused(Exception):
    """The host would refuse an action, or the action would destroy something."""


@dataclass
class _Unit:
    address: Optional[str] = None
    prefixlen: Optional[int] = None
    flags: set[str] = field(default_factory=set)


@dataclass
class _If:
    name: str
    ipmp: bool = False
    group: Optional[str] = None
    standby: bool = False
    units: dict[tuple[str, int], _Unit] = field(default_factory=dict)
    families: set[str] = field(default_factory=set)
    hw: Optional[model.Interface] = None
    mac: Optional[str] = None
    modules: Optional[tuple[str, ...]] = None
    state_hw_failed: bool = False
    offline: bool = False
    dup: bool = False


def _plumbed_modules(hw: Optional[model.Interface]) -> Optional[tuple[str, ...]]:
    """The live modules a fresh plumb gives: ifconfig's (down to ``ip``),
    then what autopush pushes, then the driver."""
    if hw is None or hw.modules is None:
        return None
    if hw.configured_modules is None or "ip" not in hw.modules:
        return hw.modules
    head = hw.modules[: hw.modules.index("ip") + 1]
    return head + hw.configured_modules + hw.modules[-1:]


def view(i: model.Interface) -> tuple[object, ...]:
    """What must come back after a reboot, for one interface."""
    v4 = frozenset(
        (x.address, x.prefixlen, "UP" in x.flags, "DEPRECATED" in x.flags, "NOFAILOVER" in x.flags)
        for x in i.addresses
        if x.family == "ipv4" and "NOLOCAL" not in x.flags
    )
    return (i.group, i.ipmp, i.standby, tuple(sorted(i.families)), v4)


class Host:
    """One host's runtime and boot configuration, mutable, for simulation."""

    def __init__(self, snap: model.Snapshot) -> None:
        self.snap = snap
        self.platform = snap.host.platform
        self.runtime: dict[str, _If] = {i.name: self._from_model(i) for i in snap.interfaces}
        p = snap.persistent
        self.files: Optional[dict[str, str]] = None
        if p.hostname_files is not None:
            self.files = {e.origin: e.text or "" for e in p.hostname_files}
        self.ipadm: Optional[dict[str, model.BootInterface]] = None
        if p.ipadm is not None:
            self.ipadm = {e.name: e for e in p.ipadm}
        self.eeprom = snap.local_mac_address
        self.linkprop_mac: dict[str, str] = {}
        self.hardware = {i.name: i for i in snap.interfaces if not i.ipmp}
        self._macs = 0
        bad = {i.name for i in snap.interfaces if i.state in ("failed", "offline")}
        self._group_state = {
            g.name: ((g.members, tuple(m for m in g.members if m in bad)), g.state) for g in snap.groups
        }

    # ------------------------------------------------------------ conversion

    def _from_model(self, i: model.Interface) -> _If:
        x = _If(
            i.name, i.ipmp, i.group, i.standby, families=set(i.families), hw=i, mac=i.mac, modules=i.modules
        )
        x.state_hw_failed = i.state == "failed"
        x.offline = i.state == "offline"
        x.dup = i.duplicate_hwaddr
        for fam in i.families:
            x.units[(fam, 0)] = _Unit(flags={f for f in ("UP", "DEPRECATED", "NOFAILOVER") if f in i.flags})
        for ad in i.addresses:
            unit = int(ad.name.split(":", 1)[1]) if ":" in ad.name else 0
            x.units[(ad.family, unit)] = _Unit(
                ad.address, ad.prefixlen, set(ad.flags) & {"UP", "DEPRECATED", "NOFAILOVER", "NOLOCAL"}
            )
        return x

    def _to_model(self, x: _If) -> model.Interface:
        base = x.hw or model.Interface(x.name, None, x.ipmp, None, (), (), None, None, None, None, None, ())
        unit0 = [u for (f, n), u in x.units.items() if n == 0]
        flags = [f for f in base.flags if f not in _MANAGED]
        if any("UP" in u.flags for u in unit0):
            flags.append("UP")
        for f in ("DEPRECATED", "NOFAILOVER"):
            if any(f in u.flags for u in unit0):
                flags.append(f)
        flags += ["IPv4"] * ("ipv4" in x.families) + ["IPv6"] * ("ipv6" in x.families)
        flags += ["STANDBY"] * x.standby + ["IPMP"] * x.ipmp
        if x.offline:
            flags.append("OFFLINE")
        addresses = []
        for (fam, n), u in sorted(x.units.items()):
            if u.address is None or fam not in x.families:
                continue
            name = x.name if n == 0 else f"{x.name}:{n}"
            addresses.append(model.Address(name, fam, u.address, u.prefixlen, tuple(sorted(u.flags))))
        state = None
        if x.group and not x.ipmp:
            state = "failed" if x.state_hw_failed else "offline" if x.offline else "ok"
        return dataclasses.replace(
            base,
            name=x.name,
            group=x.group,
            ipmp=x.ipmp,
            mac=x.mac,
            families=tuple(sorted(x.families)),
            flags=tuple(flags),
            modules=x.modules,
            state=state,
            addresses=tuple(sorted(addresses, key=lambda ad: (ad.family, ad.name, ad.address))),
            duplicate_hwaddr=x.dup,
        )

    def snapshot(self) -> model.Snapshot:
        interfaces = tuple(self._to_model(self.runtime[n]) for n in sorted(self.runtime))
        groups = []
        by_group: dict[str, list[model.Interface]] = {}
        ipmp_ifs: dict[str, str] = {}
        for i in interfaces:
            if i.group and i.ipmp:
                ipmp_ifs.setdefault(i.group, i.name)
            elif i.group:
                by_group.setdefault(i.group, []).append(i)
        for name in sorted(set(by_group) | set(ipmp_ifs)):
            members = tuple(m.name for m in by_group.get(name, []))
            bad = [m for m in by_group.get(name, []) if m.state in ("failed", "offline")]
            state: Optional[str] = "degraded" if bad else "ok"
            if not members or len(bad) == len(members):
                state = "failed"
            was = self._group_state.get(name)
            if was is not None and was[0] == (members, tuple(m.name for m in bad)):
                state = was[1]  # nothing the remedy did changes what the host said
            groups.append(model.Group(name, ipmp_ifs.get(name), members, state, "simulated"))
        p = self.snap.persistent
        files = None
        if self.files is not None:
            parsed = [hostname.parse(path, text) for path, text in sorted(self.files.items())]
            files = boot_from_files(parsed, self.files)
        persistent = model.Persistent(
            expected=p.expected,
            hostname_files=files if p.hostname_files is not None else None,
            ipadm=tuple(self.ipadm[n] for n in sorted(self.ipadm)) if self.ipadm is not None else None,
            ipadm_groups=p.ipadm_groups,
            ipadm_ipmp=p.ipadm_ipmp,
        )
        return dataclasses.replace(
            self.snap,
            interfaces=interfaces,
            groups=tuple(groups),
            persistent=persistent,
            local_mac_address=self.eeprom,
        )

    # ------------------------------------------------------------ ifconfig

    def _exists(self, name: str) -> bool:
        if name in self.hardware:
            return True
        links = self.snap.datalinks
        return links is None or name in links

    def _plumb(self, name: str, family: str, virtual: bool = False) -> _If:
        x = self.runtime.get(name)
        if x is None:
            if not virtual and not self._exists(name):
                raise Refused(f"{name} is not a datalink on this host")
            hw = self.hardware.get(name)
            mac = self.linkprop_mac.get(name, hw.mac if hw is not None else None)
            x = _If(name, hw=hw, mac=mac, modules=_plumbed_modules(hw))
            x.state_hw_failed = hw is not None and hw.state == "failed"
            self.runtime[name] = x
        if family in x.families:
            raise Refused(f"ifconfig {name} plumb: {name} is already plumbed for {family}")
        x.families.add(family)
        x.units.setdefault((family, 0), _Unit())
        return x

    def _netmask(self, address: Optional[str]) -> Optional[int]:
        """``netmask +``: the prefix this host uses for the address now (its
        /etc/netmasks at work), else the classful default."""
        if address is None or ":" in address:
            return None
        for i in self.snap.interfaces:
            for ad in i.addresses:
                if ad.address == address and ad.prefixlen is not None:
                    return ad.prefixlen
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        for i in self.snap.interfaces:
            for ad in i.addresses:
                if ad.family == "ipv4" and ad.prefixlen is not None and "NOLOCAL" not in ad.flags:
                    if ip in ipaddress.ip_network(f"{ad.address}/{ad.prefixlen}", strict=False):
                        return ad.prefixlen
        return bootfile.classful(address)

    def _resolve(self, name: str, family: str, word: str) -> tuple[str, Optional[int]]:
        address, _, plen = word.partition("/")
        try:
            ipaddress.ip_address(address)
        except ValueError:
            # A host name: what it resolves to cannot be looked up here; take the
            # address the interface has now (net-physical resolved it last boot).
            hw = self.hardware.get(name)
            now = [ad for ad in (hw.addresses if hw else ()) if ad.family == family and ad.name == name]
            address = now[0].address if now else word
        if plen:
            return address, int(plen)
        return address, (
            bootfile.classful(address) if family == "ipv4" and ":" not in address and "." in address else None
        )

    def ifconfig(self, target: str, family: str, words: tuple[str, ...]) -> bool:
        """Run ``ifconfig TARGET [inet6] WORDS`` on the simulated host; False when
        ifconfig would stop at an error (what it did so far stays done)."""
        name, _, lunit = target.partition(":")
        logical = bool(lunit)
        x = self.runtime.get(name)
        if x is None or family not in x.families:
            return False
        cur = int(lunit) if logical else 0
        x.units.setdefault((family, cur), _Unit())
        seen_address = False
        i = 0
        while i < len(words):
            w = words[i]
            arg = words[i + 1] if i + 1 < len(words) else None
            unit = x.units[(family, cur)]
            if w == "addif":
                if arg is None:
                    return False
                cur = 1
                while (family, cur) in x.units and x.units[(family, cur)].address is not None:
                    cur += 1
                address, plen = self._resolve(name, family, arg)
                x.units[(family, cur)] = _Unit(address, plen)
                seen_address = True
                i += 2
                continue
            if w == "group":
                if arg is None or logical:
                    return False
                x.group = arg or None
            elif w == "netmask":
                if arg is None:
                    return False
                unit.prefixlen = self._netmask(unit.address) if arg == "+" else _prefix(arg)
            elif w in ("up", "down"):
                (unit.flags.add if w == "up" else unit.flags.discard)("UP")
            elif w in ("deprecated", "-deprecated"):
                (unit.flags.discard if w.startswith("-") else unit.flags.add)("DEPRECATED")
            elif w in ("-failover", "failover"):
                (unit.flags.add if w.startswith("-") else unit.flags.discard)("NOFAILOVER")
            elif w in ("standby", "-standby"):
                if logical:
                    return False
                x.standby = w == "standby"
            elif w == "ipmp":
                return False  # creates an IPMP interface: this one exists ("Interface already exists")
            elif w == "ether":
                if arg is None:
                    return False
                x.mac = arg
            elif w in hostname._WITH_ARG:
                if arg is None:
                    return False
                i += 2
                continue
            elif w in hostname._FLAGS:
                pass
            elif w.startswith("-") or w.startswith("#"):
                return False
            elif not seen_address:
                unit.address, unit.prefixlen = self._resolve(name, family, w)
                seen_address = True
            i += 1 if w not in ("group", "netmask", "ether") else 2
        return True

    def _ensure_ipmp_interface(self, group: str) -> None:
        """Clearview: the first member of a group brings an IPMP interface with it."""
        if self.platform not in CLEARVIEW:
            return
        if any(x.ipmp and x.group == group for x in self.runtime.values()):
            return
        used = set(self.runtime) | set(self.snap.datalinks or ())
        n = 0
        while f"ipmp{n}" in used:
            n += 1
        self.runtime[f"ipmp{n}"] = _If(f"ipmp{n}", ipmp=True, group=group, families={"ipv4"})

    def _recheck_duplicates(self, groups: Optional[set[Optional[str]]] = None) -> None:
        """Clearview offlines a member whose MAC is not unique in its group, and
        onlines it once it is (``ipmpstat -i`` FLAGS h).  ``groups``: the groups
        an action changed (None: every group, as at boot); the others stay as
        the host reported them."""
        if self.platform not in CLEARVIEW:
            return
        seen: dict[tuple[str, str], str] = {}
        for name in sorted(self.runtime):
            x = self.runtime[name]
            if groups is not None and x.group not in groups:
                continue
            if x.ipmp or not x.group or x.mac is None:
                if x.dup:
                    x.dup = x.offline = False
                continue
            key = (x.group, x.mac)
            if key in seen:
                x.dup = x.offline = True
            else:
                seen[key] = name
                if x.dup:
                    x.dup = x.offline = False

    # ------------------------------------------------------------ actions

    def apply(self, action: a.Action) -> None:
        if isinstance(action, (a.Manual, a.ShowLink, a.ShowIpmp)):
            raise NotModelled(action.KIND)
        if isinstance(action, a.Note):
            return
        if isinstance(action, a.SetGroup):
            x = self.runtime.get(action.interface)
            if x is None or not x.families:
                raise Refused(f"ifconfig {action.interface} group: {action.interface} is not plumbed")
            if x.ipmp:
                raise Refused(f"{action.interface} is an IPMP interface")
            left, x.group = x.group, action.group or None
            if x.group:
                self._ensure_ipmp_interface(x.group)
            self._recheck_duplicates({left, x.group})
        elif isinstance(action, a.Plumb):
            x = self._plumb(action.interface, action.family)
            if action.up:
                x.units[(action.family, 0)].flags.add("UP")
        elif isinstance(action, a.BringUpFromBootFile):
            x = self._plumb(action.interface, action.family, virtual=action.ipmp)
            x.ipmp |= action.ipmp
            for words in action.commands:
                self.ifconfig(action.interface, action.family, words)
            if x.group:
                self._ensure_ipmp_interface(x.group)
            self._recheck_duplicates({x.group})
        elif isinstance(action, a.CreateIpmpInterface):
            if action.interface in self.runtime or action.interface in self.hardware:
                raise Refused(f"{action.interface} already exists")
            if any(x.ipmp and x.group == action.group for x in self.runtime.values()):
                raise Refused(f"group {action.group} already has an IPMP interface")
            x = _If(action.interface, ipmp=True, group=action.group, families={"ipv4"})
            x.units[("ipv4", 0)] = _Unit(flags={"UP"})
            self.runtime[action.interface] = x
        elif isinstance(action, (a.ModRemove, a.ModInsert)):
            x = self.runtime.get(action.interface)
            if x is None or x.modules is None:
                raise Refused(f"{action.interface}: its modules are not known")
            mods = list(x.modules)
            if isinstance(action, a.ModRemove):
                if action.position >= len(mods) - 1 or mods[action.position] != action.module:
                    raise Refused(f"{action.interface} has no {action.module} at {action.position}")
                del mods[action.position]
            else:
                if action.position > len(mods) - 1:
                    raise Refused(f"{action.interface}: position {action.position} is below the driver")
                mods.insert(action.position, action.module)
            x.modules = tuple(mods)
        elif isinstance(action, a.Reattach):
            x = self.runtime.get(action.interface)
            if x is None or not x.offline:
                raise Refused(f"if_mpadm -r {action.interface}: it is not offline")
            if x.dup:
                raise Refused(f"if_mpadm -r {action.interface}: its hardware address is still not unique")
            x.offline = False
        elif isinstance(action, a.WriteBootFile):
            if self.files is None:
                raise Refused("this host's hostname files are not known")
            now = self.files.get(action.path)
            if now != action.previous:
                raise Refused(f"{action.path} would be overwritten: it is not what the remedy expected")
            self.files[action.path] = action.content
        elif isinstance(action, a.SetMacAddress):
            if not self._exists(action.link):
                raise Refused(f"{action.link} is not a datalink")
            self._macs += 1
            mac = f"2:8:20:ff:{self._macs // 256:x}:{self._macs % 256:x}"
            self.linkprop_mac[action.link] = mac
            if action.link in self.runtime:
                self.runtime[action.link].mac = mac
                self._recheck_duplicates({self.runtime[action.link].group})
        elif isinstance(action, a.SetEeprom):
            if action.name != "local-mac-address?" or self.snap.host.arch != "sparc":
                raise NotModelled(f"eeprom {action.name}")
            self.eeprom = action.value == "true"
        elif isinstance(action, a.IpadmCreateIp):
            self._ipadm_store()
            if action.interface in self.runtime:
                raise Refused(f"ipadm create-ip {action.interface}: it already exists")
            for fam in ("ipv4", "ipv6"):
                self._plumb(action.interface, fam)
            self._store(model.BootInterface(action.interface, "ipadm", ("ipv4", "ipv6"), None, False, False))
        elif isinstance(action, a.IpadmCreateIpmp):
            self._ipadm_store()
            if action.interface in self.runtime:
                raise Refused(f"ipadm create-ipmp {action.interface}: it already exists")
            x = self._plumb(action.interface, "ipv4", virtual=True)
            x.ipmp, x.group = True, action.interface
            self._store(
                model.BootInterface(action.interface, "ipadm", ("ipv4",), action.interface, True, False)
            )
        elif isinstance(action, a.IpadmAddIpmp):
            self._ipadm_store()
            ipmp_if = self.runtime.get(action.ipmp_interface)
            if ipmp_if is None or not ipmp_if.ipmp:
                raise Refused(f"ipadm add-ipmp: {action.ipmp_interface} is not an IPMP interface")
            assert self.ipadm is not None
            for name in action.interfaces:
                x = self.runtime.get(name)
                entry = self.ipadm.get(name)
                if x is None or entry is None:
                    raise Refused(f"ipadm add-ipmp: {name} is not a persistent IP interface")
                if x.group and x.group != ipmp_if.group:
                    raise Refused(f"ipadm add-ipmp: {name} is in group {x.group}")
                x.group = ipmp_if.group
                self._store(dataclasses.replace(entry, group=ipmp_if.group, ipmp_interface=ipmp_if.name))
            self._recheck_duplicates({ipmp_if.group})
        else:
            raise NotModelled(getattr(action, "KIND", repr(action)))

    def _ipadm_store(self) -> None:
        if self.ipadm is None or self.platform not in CLEARVIEW:
            raise Refused("ipadm's persistent configuration is not known on this host")

    def _store(self, entry: model.BootInterface) -> None:
        assert self.ipadm is not None
        self.ipadm[entry.name] = entry

    # ------------------------------------------------------------ reboot

    def reboot(self) -> None:
        """Rebuild the runtime state from the boot configuration."""
        before = self.runtime
        # The loopback interface is net-loopback's, not the hostname files'.
        self.runtime = {n: x for n, x in before.items() if x.hw is not None and "LOOPBACK" in x.hw.flags}
        eeprom_fixed = self.eeprom is True and self.snap.local_mac_address is not True
        with_files = set()
        if self.files is not None:
            order = sorted(
                self.files.items(),
                key=lambda kv: (
                    not bootfile.is_ipmp(kv[1]),
                    ":" in kv[0],
                    kv[0],
                ),
            )
            for path, text in order:
                base = path.rsplit("/", 1)[-1]
                m = hostname.FILE_NAME.match(base)
                if m is None:
                    continue
                family = "ipv6" if m.group(1) else "ipv4"
                target = m.group(2)
                name = target.split(":", 1)[0]
                with_files.add(name)
                if ":" in target:
                    if name not in self.runtime:
                        continue
                    self.runtime[name].units.setdefault((family, int(target.split(":")[1])), _Unit())
                else:
                    x = self.runtime.get(name)
                    if x is None or family not in x.families:
                        ipmp = family == "ipv4" and bootfile.is_ipmp(text) and self.platform != "solaris10"
                        try:
                            self._plumb(name, family, virtual=ipmp).ipmp |= ipmp
                        except Refused:
                            continue
                for words in bootfile.commands(text, family, self.platform):
                    self.ifconfig(target, family, words)
        for name, entry in sorted((self.ipadm or {}).items()):
            if name in with_files and self.platform == "illumos":
                continue  # a hostname file hides ipadm's configuration of it
            for fam in entry.families:
                try:
                    x = self._plumb(name, fam, virtual=entry.ipmp)
                except Refused:
                    continue
            x = self.runtime.get(name)
            if x is None:
                continue
            x.ipmp = entry.ipmp
            x.standby = entry.standby
            if entry.group is not None or self.snap.persistent.ipadm_groups:
                x.group = entry.group if not entry.ipmp else entry.group or name
            elif name in before:
                x.group = before[name].group  # ipadm's membership is not readable here
            for n, ad in enumerate(entry.addresses):
                if ad.address is None:
                    continue
                unit = x.units[(ad.family, 0)] if n == 0 else x.units.setdefault((ad.family, n), _Unit())
                unit.address, unit.prefixlen = ad.address, ad.prefixlen
                unit.flags.add("UP")
        for x in list(self.runtime.values()):
            if x.group and not x.ipmp:
                self._ensure_ipmp_interface(x.group)
            if eeprom_fixed and x.hw is not None:
                self._macs += 1
                x.mac = self.linkprop_mac.get(x.name, f"2:8:20:fe:{self._macs // 256:x}:{self._macs % 256:x}")
        self._recheck_duplicates()


def _prefix(mask: str) -> Optional[int]:
    try:
        if mask.startswith("0x"):
            return bin(int(mask, 16)).count("1")
        return ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
    except ValueError:
        return None


def _applied(snap: model.Snapshot, remedy: a.Remedy) -> Host:
    host = Host(snap)
    for action in remedy:
        host.apply(action)
    return host


def apply(snap: model.Snapshot, remedy: a.Remedy) -> model.Snapshot:
    return _applied(snap, remedy).snapshot()


def reboot(snap: model.Snapshot, remedy: a.Remedy = ()) -> model.Snapshot:
    """``snap`` with ``remedy`` applied and then rebooted."""
    host = _applied(snap, remedy)
    host.reboot()
    return host.snapshot()


Key = tuple[str, str, tuple[str, ...]]


def _key(f: Finding) -> Key:
    return (f.group, f.code, f.interfaces)


UNKNOWN: tuple[str, ...] = ("*",)


def _findings(snap: model.Snapshot, config: Config) -> set[Key]:
    """Every finding's key, and (group, code, UNKNOWN) for every check that could not look."""
    out: set[Key] = set()
    for r in evaluate(snap, config):
        out.update(_key(f) for f in r.findings)
        if r.status == "unknown":
            out.add((r.group, r.code, UNKNOWN))
    return out


def _new(now: set[Key], then: set[Key], changed: set[str]) -> list[Key]:
    """Findings in ``now`` about a problem ``then`` did not have: no finding of
    the same group and check then named an interface of it, besides those the
    remedy changed (a pair-wise finding may name a different pair), and the
    check could look then."""
    out = []
    for key in sorted(now - then):
        group, code, names = key
        if names == UNKNOWN or (group, code, UNKNOWN) in then:
            continue  # could not look before: a hidden problem, not one the fix made
        others = set(names) - changed
        if not any(g == group and c == code and (others <= set(n) or others & set(n)) for g, c, n in then):
            out.append(key)
    return out


def prove(snap: model.Snapshot, config: Config, finding: Finding, remedy: a.Remedy) -> list[str]:
    """Why the remedy does not fix ``finding`` safely; empty when it is proven.

    Raises ``NotModelled`` for a remedy holding a by-hand step."""
    problems: list[str] = []
    target = _key(finding)
    before = _findings(snap, config)
    try:
        host = _applied(snap, remedy)
    except Refused as e:
        return [f"the host would refuse it: {e}"]
    fixed = host.snapshot()
    after = _findings(fixed, config)
    if target in after and not a.at_next_boot(remedy):
        problems.append("the finding is still there after the fix")
    new = _new(after, before, a.interfaces(remedy))
    if new:
        problems.append(f"the fix creates new findings: {sorted(new)}")
    host.reboot()
    rebooted = host.snapshot()
    after_boot = _findings(rebooted, config)
    if target in after_boot:
        problems.append("the finding is back after a reboot")
    base_boot = reboot(snap)
    baseline = _findings(base_boot, config)
    worse = _new(after_boot, baseline | after | before, a.interfaces(remedy))
    if worse:
        problems.append(
            f"after a reboot there are findings a reboot without the fix would not bring: {sorted(worse)}"
        )
    names = a.interfaces(remedy) | set(finding.interfaces)
    return problems + _not_back(snap, fixed, rebooted, base_boot, names)


def not_back(snap: model.Snapshot, remedy: a.Remedy) -> list[str]:
    """The interfaces ``remedy`` changes that a reboot does not bring back as it
    left them (for remedies that fix no one finding, such as ``ipmpd plan``'s)."""
    return _not_back(snap, apply(snap, remedy), reboot(snap, remedy), reboot(snap), a.interfaces(remedy))


def _not_back(
    snap: model.Snapshot,
    fixed: model.Snapshot,
    rebooted: model.Snapshot,
    base_boot: model.Snapshot,
    names: set[str],
) -> list[str]:
    problems = []
    for name in sorted(names):
        changed = _reboot_changes(fixed.interface(name), rebooted.interface(name))
        # What a reboot changes anyway, in what the fix left alone, is not the fix's doing.
        anyway = _reboot_changes(snap.interface(name), base_boot.interface(name))
        done_now = _reboot_changes(snap.interface(name), fixed.interface(name))
        mine = {
            k: v for k, v in changed.items() if not (k in anyway and k not in done_now and anyway[k] == v)
        }
        if mine:
            problems.append(
                f"{name} does not come back after a reboot as the fix left it: "
                + "; ".join(f"{k} {was} became {now}" for k, (was, now) in sorted(mine.items()))
            )
    return problems


VIEW_FIELDS = ("group", "ipmp", "standby", "families", "ipv4 addresses")


def _reboot_changes(
    before: Optional[model.Interface], after: Optional[model.Interface]
) -> dict[str, tuple[object, object]]:
    """The view fields that differ between two states of one interface."""
    if before is None and after is None:
        return {}
    if before is None or after is None:
        return {"plumbed": (before is not None, after is not None)}
    return {k: (x, y) for k, x, y in zip(VIEW_FIELDS, view(before), view(after)) if x != y}
