"""``ipmpd.toml``: read once, validated whole, every problem reported together.

Each problem names the file, the key path and why, e.g.
``/etc/ipmpd/ipmpd.toml: group[1].interfaces[0]: "e1000g4:1" is a logical interface``.
An unknown key is an error, never silently ignored.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Optional

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Solaris 11.4's Python 3.9
    import tomli as tomllib

from ipmpd.runner import DEFAULT_PATH, read_regular
from ipmpd.sources import LINK_NAME

DEFAULT_CONFIG = "/etc/ipmpd/ipmpd.toml"
DEFAULT_PORT = 9742
CONFIG_CAP = 1024 * 1024  # a configuration file is a few KiB
DEFAULT_LISTEN = f"0.0.0.0:{DEFAULT_PORT}"
SEVERITIES = ("info", "warning", "error")
# if.h: LIFGRNAMSIZ 32, so a group name holds at most 31 characters.
LIFGRNAMSIZ = 32
# Solaris 10 IP Filter pushes the "pfil" STREAMS module between ip and the
# driver (ipfilter(5), SunOS 5.10; the pfil README's modinsert pfil@2); it
# keeps per-stream state, which the planning procedure warns breaks failover.
DEFAULT_STATEFUL = ("pfil",)
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


class ConfigError(Exception):
    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {p}" for p in problems))


@dataclass(frozen=True)
class GroupConfig:
    name: str
    interfaces: tuple[str, ...]
    modules: Optional[tuple[str, ...]] = None
    families: Optional[tuple[str, ...]] = None
    allow_single: bool = False


# A target's name is its only handle (logs, /probe?target=, --target): a
# Prometheus-friendly word, matched against the configured list only.
TARGET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
# A host name or address ssh is given: never an option (no leading "-").
HOST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$|^\[?[0-9A-Fa-f:.]+\]?$")
USER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")
# The remote PATH: directories of plain characters, colon-separated.
REMOTE_PATH = re.compile(r"^/[A-Za-z0-9_./-]*(:/[A-Za-z0-9_./-]*)*$")
SSH_OPTION = re.compile(r"^([A-Za-z]+)=([!-~][ -~]*)$")
# ssh_options: only settings of the connection itself (algorithms for old
# SunSSH hosts, keep-alives, addressing, a jump host).  Anything else could
# undo what keeps a target safe (host key checking, known hosts, the
# identity), load code (PKCS11Provider), run a local command
# (ProxyCommand, LocalCommand) or open network paths (forwarding, tunnels).
SSH_OPTIONS_ALLOWED = {
    o.lower(): o
    for o in (
        "AddressFamily",
        "BindAddress",
        "BindInterface",
        "CASignatureAlgorithms",
        "Ciphers",
        "Compression",
        "ConnectionAttempts",
        "HostKeyAlgorithms",
        "HostKeyAlias",
        "IPQoS",
        "KexAlgorithms",
        "MACs",
        "ProxyJump",
        "PubkeyAcceptedAlgorithms",
        "PubkeyAcceptedKeyTypes",
        "RekeyLimit",
        "RequiredRSASize",
        "ServerAliveCountMax",
        "ServerAliveInterval",
        "TCPKeepAlive",
    )
}
PRIVILEGES = ("none", "pfexec")
DEFAULT_REMOTE_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class TargetConfig:
    """A host gathered over SSH with the shell collector."""

    name: str
    host: str
    user: str
    identity_file: str
    known_hosts: str
    port: int = 22
    path: str = DEFAULT_REMOTE_PATH
    root: str = "/"
    modlist_interval: float = 0.0  # off unless this target opts in
    privilege: str = "none"  # "pfexec": modlist through the ipmpd Modlist profile
    ssh_options: tuple[str, ...] = ()
    groups: tuple[GroupConfig, ...] = ()


@dataclass(frozen=True)
class DaemonConfig:
    interval: float = 60.0
    modlist_interval: float = 0.0  # off: ifconfig IF modlist relinks the IP stream (opt-in)
    listen: str = DEFAULT_LISTEN
    tls_cert_file: Optional[str] = None
    tls_key_file: Optional[str] = None
    path: str = DEFAULT_PATH
    command_timeout: float = 10.0
    root: str = "/"
    local: bool = True  # gather this host too (false: a fleet box that is not Solaris)
    target_concurrency: int = 8
    target_timeout: float = 30.0  # one target's whole round trip, a running modlist excepted


@dataclass(frozen=True)
class ChecksConfig:
    stateful_modules: tuple[str, ...] = DEFAULT_STATEFUL
    severity: tuple[tuple[str, str], ...] = ()  # (code or name, severity)
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    checks: ChecksConfig = field(default_factory=ChecksConfig)
    groups: tuple[GroupConfig, ...] = ()
    path: Optional[str] = None
    targets: tuple[TargetConfig, ...] = ()

    def group(self, name: str) -> Optional[GroupConfig]:
        for g in self.groups:
            if g.name == name:
                return g
        return None

    def target(self, name: str) -> Optional[TargetConfig]:
        return next((t for t in self.targets if t.name == name), None)

    def for_target(self, name: str) -> Config:
        """The configuration one target is checked with: its own groups, and
        the checks settings shared by every host."""
        t = self.target(name)
        if t is None:
            raise KeyError(name)
        return Config(self.daemon, self.checks, t.groups, self.path, self.targets)


def parse_duration(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError('must be a duration like "60s", "5m" or "1h"')
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("must not be negative")
        return float(value)
    if isinstance(value, str):
        m = _DURATION.match(value.strip())
        if m:
            return float(m.group(1)) * _UNITS[m.group(2)]
    raise ValueError(f'{value!r} is not a duration like "60s", "5m" or "1h"')


def parse_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not ADDRESS:PORT")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


class _Validator:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def err(self, key: str, why: str) -> None:
        self.problems.append(f"{key}: {why}")

    def table(self, data: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.err(key, "must be a table")
            return {}
        for k in sorted(set(data) - allowed):
            self.err(f"{key}.{k}" if key else k, "unknown key")
        return data

    def string_list(self, value: Any, key: str) -> Optional[tuple[str, ...]]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.err(key, "must be a list of strings")
            return None
        return tuple(value)


def load(path: str, text: Optional[str] = None, checks: Optional[Collection[str]] = None) -> Config:
    """Read and validate ``path`` (or ``text`` as if it were that file).

    ``checks`` are the check codes and names the caller knows (the registry
    lives above this module); None leaves check names unvalidated."""
    if text is None:
        try:
            raw = read_regular(path, CONFIG_CAP)
        except OSError as e:
            raise ConfigError(path, [f"cannot read: {e.strerror or e}"]) from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ConfigError(path, [f"not UTF-8: {e}"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(path, [f"not valid TOML: {e}"]) from None
    return validate(data, path, checks)


def validate(data: dict[str, Any], path: str, checks: Optional[Collection[str]] = None) -> Config:
    v = _Validator()
    top = v.table(data, "", {"daemon", "checks", "group", "target"})
    daemon = _daemon(v, top.get("daemon", {}))
    checks_config = _checks(v, top.get("checks", {}), checks)
    groups = _groups(v, top.get("group", []))
    targets = _targets(v, top.get("target", []))
    if v.problems:
        raise ConfigError(path, v.problems)
    return Config(daemon, checks_config, groups, path, targets)


def _daemon(v: _Validator, raw: Any) -> DaemonConfig:
    d = v.table(
        raw,
        "daemon",
        {
            "interval",
            "modlist_interval",
            "listen",
            "tls_cert_file",
            "tls_key_file",
            "path",
            "command_timeout",
            "root",
            "local",
            "target_concurrency",
            "target_timeout",
        },
    )
    out: dict[str, Any] = {}
    for key, minimum in (
        ("interval", 1.0),
        ("modlist_interval", 0.0),
        ("command_timeout", 0.1),
        ("target_timeout", 1.0),
    ):
        if key in d:
            try:
                value = parse_duration(d[key])
            except ValueError as e:
                v.err(f"daemon.{key}", str(e))
                continue
            if value < minimum and not (key == "modlist_interval" and value == 0):
                v.err(f"daemon.{key}", f"must be at least {minimum:g}s")
                continue
            out[key] = value
    if "listen" in d:
        if not isinstance(d["listen"], str):
            v.err("daemon.listen", "must be a string ADDRESS:PORT")
        else:
            try:
                parse_listen(d["listen"])
                out["listen"] = d["listen"]
            except ValueError as e:
                v.err("daemon.listen", str(e))
    for key in ("tls_cert_file", "tls_key_file", "path", "root"):
        if key in d:
            if isinstance(d[key], str) and d[key]:
                out[key] = d[key]
            else:
                v.err(f"daemon.{key}", "must be a non-empty string")
    if "local" in d:
        if isinstance(d["local"], bool):
            out["local"] = d["local"]
        else:
            v.err("daemon.local", "must be true or false")
    if "target_concurrency" in d:
        n = d["target_concurrency"]
        if isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 256:
            out["target_concurrency"] = n
        else:
            v.err("daemon.target_concurrency", "must be a whole number from 1 to 256")
    if ("tls_cert_file" in out) != ("tls_key_file" in out):
        v.err("daemon.tls_key_file", "tls_cert_file and tls_key_file go together")
    return DaemonConfig(**out)


def _checks(v: _Validator, raw: Any, known: Optional[Collection[str]]) -> ChecksConfig:
    c = v.table(raw, "checks", {"stateful_modules", "severity", "ignore"})
    out: dict[str, Any] = {}
    if "stateful_modules" in c:
        mods = v.string_list(c["stateful_modules"], "checks.stateful_modules")
        if mods is not None:
            out["stateful_modules"] = mods
    if "severity" in c:
        sev = c["severity"]
        if not isinstance(sev, dict):
            v.err("checks.severity", 'must be a table of CHECK = "severity"')
        else:
            pairs = []
            for k, val in sev.items():
                if known is not None and k not in known:
                    v.err(f"checks.severity.{k}", "no such check code or name")
                elif val not in SEVERITIES:
                    v.err(f"checks.severity.{k}", f"{val!r} is not one of {', '.join(SEVERITIES)}")
                else:
                    pairs.append((k, val))
            out["severity"] = tuple(pairs)
    if "ignore" in c:
        ign = v.string_list(c["ignore"], "checks.ignore")
        if ign is not None:
            for k, name in enumerate(ign):
                if known is not None and name not in known:
                    v.err(f"checks.ignore[{k}]", f"{name!r} is no such check code or name")
            out["ignore"] = ign
    return ChecksConfig(**out)


def _groups(v: _Validator, raw: Any, where: str = "group") -> tuple[GroupConfig, ...]:
    if not isinstance(raw, list):
        table = re.sub(r"\[[0-9]+\]", "", where)
        v.err(where, f"must be an array of tables ([[{table}]])")
        return ()
    out = []
    seen: set[str] = set()
    for n, g in enumerate(raw):
        key = f"{where}[{n}]"
        d = v.table(g, key, {"name", "interfaces", "modules", "families", "allow_single"})
        if not d:
            continue
        name = d.get("name")
        if not isinstance(name, str) or not name:
            v.err(f"{key}.name", "must be a non-empty string")
            name = None
        elif any(ord(c) < 32 or ord(c) == 127 for c in name):
            v.err(f"{key}.name", "control characters are not allowed")
        elif len(name) >= LIFGRNAMSIZ:
            v.err(f"{key}.name", f"longer than {LIFGRNAMSIZ - 1} characters (LIFGRNAMSIZ)")
        elif name in seen:
            v.err(f"{key}.name", f"group {name!r} is configured twice")
        else:
            seen.add(name)
        ifs = v.string_list(d.get("interfaces"), f"{key}.interfaces")
        if ifs is not None:
            for k, i in enumerate(ifs):
                if ":" in i:
                    v.err(f"{key}.interfaces[{k}]", f"{i!r} is a logical interface")
                elif not LINK_NAME.match(i):
                    v.err(f"{key}.interfaces[{k}]", f"{i!r} is not a valid link name")
        mods = None
        if "modules" in d:
            mods = v.string_list(d["modules"], f"{key}.modules")
        fams = None
        if "families" in d:
            fams = v.string_list(d["families"], f"{key}.families")
            for k, fam in enumerate(fams or ()):
                if fam not in ("ipv4", "ipv6"):
                    v.err(f"{key}.families[{k}]", f"{fam!r} is not ipv4 or ipv6")
        allow = d.get("allow_single", False)
        if not isinstance(allow, bool):
            v.err(f"{key}.allow_single", "must be true or false")
            allow = False
        if name and ifs is not None:
            out.append(GroupConfig(name, ifs, mods, tuple(sorted(fams)) if fams else None, allow))
    return tuple(out)


def _targets(v: _Validator, raw: Any) -> tuple[TargetConfig, ...]:
    if not isinstance(raw, list):
        v.err("target", "must be an array of tables ([[target]])")
        return ()
    keys = {
        "name",
        "host",
        "port",
        "user",
        "identity_file",
        "known_hosts",
        "path",
        "root",
        "modlist_interval",
        "privilege",
        "ssh_options",
        "group",
    }
    out = []
    seen: set[str] = set()
    for n, t in enumerate(raw):
        target = _target(v, v.table(t, f"target[{n}]", keys), f"target[{n}]", seen)
        if target is not None:
            out.append(target)
    return tuple(out)


def _target(v: _Validator, d: dict[str, Any], key: str, seen: set[str]) -> Optional[TargetConfig]:
    if not d:
        return None
    ok = True
    fields: dict[str, Any] = {}

    def need(name: str, pattern: re.Pattern[str], what: str) -> None:
        nonlocal ok
        value = d.get(name)
        if not isinstance(value, str) or not pattern.match(value):
            v.err(f"{key}.{name}", f"must be {what}")
            ok = False
        else:
            fields[name] = value

    need("name", TARGET_NAME, "a name of letters, digits, '_', '.' and '-' (at most 63)")
    if fields.get("name") in seen:
        v.err(f"{key}.name", f"target {fields['name']!r} is configured twice")
        ok = False
    seen.add(fields.get("name", ""))
    need("host", HOST_NAME, "a host name or an IP address")
    need("user", USER_NAME, "a user name")
    for name in ("identity_file", "known_hosts"):
        value = d.get(name)
        if not isinstance(value, str) or not value.startswith("/"):
            v.err(f"{key}.{name}", "must be an absolute path (host keys are always checked strictly)")
            ok = False
        elif not os.path.isfile(value):
            v.err(f"{key}.{name}", f"{value}: no such file")
            ok = False
        else:
            fields[name] = value
    if "port" in d:
        port = d["port"]
        if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536:
            fields["port"] = port
        else:
            v.err(f"{key}.port", "must be a port number from 1 to 65535")
            ok = False
    for name in ("path", "root"):
        if name in d:
            value = d[name]
            if isinstance(value, str) and REMOTE_PATH.match(value):
                fields[name] = value
            else:
                v.err(f"{key}.{name}", "must be absolute directories of plain characters, ':'-separated")
                ok = False
    if "modlist_interval" in d:
        try:
            value = parse_duration(d["modlist_interval"])
        except ValueError as e:
            v.err(f"{key}.modlist_interval", str(e))
            ok = False
        else:
            if 0 < value < 1:
                v.err(f"{key}.modlist_interval", "must be 0 (off) or at least 1s")
                ok = False
            fields["modlist_interval"] = value
    if "privilege" in d:
        if d["privilege"] in PRIVILEGES:
            fields["privilege"] = d["privilege"]
        else:
            v.err(f"{key}.privilege", f"must be one of {', '.join(map(repr, PRIVILEGES))}")
            ok = False
    if "ssh_options" in d:
        opts = v.string_list(d["ssh_options"], f"{key}.ssh_options")
        for k, opt in enumerate(opts or ()):
            m = SSH_OPTION.match(opt)
            if not m:
                v.err(f"{key}.ssh_options[{k}]", f"{opt!r} is not Option=value")
                ok = False
            elif m.group(1).lower() not in SSH_OPTIONS_ALLOWED:
                allowed = ", ".join(sorted(SSH_OPTIONS_ALLOWED.values()))
                v.err(f"{key}.ssh_options[{k}]", f"{m.group(1)} is not allowed here (allowed: {allowed})")
                ok = False
        fields["ssh_options"] = tuple(opts or ())
    groups = _groups(v, d.get("group", []), f"{key}.group")
    return TargetConfig(groups=groups, **fields) if ok else None
