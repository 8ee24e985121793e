"""Command line: argparse only; turns a command line into a call.

Exit codes for ``check`` and ``plan``: 0 nothing at or above --fail-on, 1
something was, 2 bad usage or configuration, 3 could not look (nothing at or
above --fail-on was found, but a check that applies could not be evaluated,
or the host's interface list itself could not be read).  ``check --nagios``
speaks the monitoring-plugin convention instead: 0 OK, 1 WARNING, 2
CRITICAL, 3 UNKNOWN."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from typing import Any, Optional, Union

from ipmpd import __version__, capture, collector, render
from ipmpd.capture import Capture, CaptureError, DirDestination, StreamDestination
from ipmpd.checks import LIVE_NOT_INSPECTED, REGISTRY, SEVERITY_ORDER, evaluate, findings, groups_seen
from ipmpd.config import DEFAULT_CONFIG, Config, ConfigError, TargetConfig
from ipmpd.gather import gather
from ipmpd.remedy import actions
from ipmpd.remedy.actions import verification
from ipmpd.remedy.render import render as render_remedy
from ipmpd.runner import CaptureRunner, RecordingRunner, Runner, SubprocessRunner
from ipmpd.settings import SMF_EXIT_ERR_CONFIG, demo_dir, load_config
from ipmpd.ssh import CollectError, SshRunner
from ipmpd.target import gather_remote
from ipmpd.target import members as target_members
from ipmpd.tls import missing_ssl, tls_context

EXIT_OK, EXIT_FOUND, EXIT_USAGE, EXIT_BLIND = 0, 1, 2, 3
# What a shell reports for a command SIGPIPE killed (128 + 13): the reader
# of our standard output went away, as with "ipmpd check | head -1".
EXIT_PIPE = 141
# Monitoring-plugin states (Nagios plugin guidelines; Icinga and NRPE alike).
NAGIOS_OK, NAGIOS_WARNING, NAGIOS_CRITICAL, NAGIOS_UNKNOWN = 0, 1, 2, 3

Destination = Union[DirDestination, StreamDestination]


CAPTURE_HELP = "replay a capture directory, a capture stream file, or - for a stream on stdin"


def _add_host(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--capture", metavar="CAPTURE", help=CAPTURE_HELP)
    g.add_argument("--demo", action="store_true", help="replay the bundled demo host")
    _add_target(g)
    _add_modlist(p)


def _add_target(g: Any) -> None:
    g.add_argument(
        "--target",
        metavar="NAME",
        help="read the [[target]] of that name over SSH with the shell collector (see --config)",
    )


def _add_modlist(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--modlist",
        action="store_true",
        help="also read each member's live STREAMS modules with 'ifconfig IF modlist' "
        "(needs net_rawaccess and sys_ip_config; unlinks and relinks the interface's IP stream)",
    )
    g.add_argument(
        "--no-modlist",
        dest="modlist",
        action="store_false",
        help="do not run 'ifconfig IF modlist' (the default)",
    )
    p.set_defaults(modlist=False)


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        metavar="FILE",
        help=f"configuration file (default {DEFAULT_CONFIG}, used if it exists)",
    )


def _add_format(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="ipmpd", description="Keep IPMP planning rules true and export drift to Prometheus."
    )
    ap.add_argument("--version", action="version", version=f"ipmpd {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("snapshot", help="gather the host's IPMP state once and print it")
    _add_host(p)
    _add_config(p)
    _add_format(p)

    p = sub.add_parser("check", help="gather once, run every check, exit 1 on findings")
    _add_host(p)
    _add_config(p)
    _add_format(p)
    p.add_argument(
        "--fail-on",
        choices=tuple(SEVERITY_ORDER),
        default="warning",
        help="exit 1 when a finding at or above this severity exists (default warning)",
    )
    p.add_argument(
        "--nagios",
        action="store_true",
        help="print one monitoring-plugin status line with performance data and exit "
        "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (Nagios, Icinga, NRPE); overrides --format",
    )

    p = sub.add_parser("plan", help="walk the planning procedure for interfaces before grouping")
    p.add_argument("interfaces", nargs="+", metavar="IF")
    p.add_argument("--group", required=True, metavar="NAME")
    _add_host(p)
    _add_config(p)
    _add_format(p)
    p.add_argument("--fail-on", choices=tuple(SEVERITY_ORDER), default="warning")

    sub.add_parser(
        "collector",
        help="print the shell collector: 'sh collect.sh > host.capture' on a host without Python",
        description="Prints collect.sh, a Bourne shell script that reads what ipmpd reads on a "
        "Solaris 10, Solaris 11 or illumos host and writes one capture stream to stdout. "
        "Options: --modlist, --path DIR[:DIR...], --root DIR, then interface names.",
    )

    p = sub.add_parser("checks", help="list every check with its What / Why / Fix")
    _add_format(p)

    p = sub.add_parser("run", help="run the daemon: gather on a schedule, serve /metrics and /")
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--capture",
        metavar="CAPTURE",
        help=CAPTURE_HELP,
    )
    g.add_argument("--demo", action="store_true", help="replay the bundled demo host")
    _add_config(p)
    p.add_argument("--listen", metavar="ADDR:PORT", help="overrides [daemon] listen")

    p = sub.add_parser("capture", help="record this host's outputs for analysis elsewhere")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--out", metavar="DIR", help="write a capture directory")
    g.add_argument("--stream", metavar="FILE", help="write one capture stream file ('-': stdout)")
    _add_target(p)
    _add_modlist(p)
    _add_config(p)

    return ap


class TargetError(Exception):
    """--target names no configured target (exit 2)."""


def _target(args: argparse.Namespace, config: Config) -> Optional[TargetConfig]:
    name = getattr(args, "target", None)
    if name is None:
        return None
    t = config.target(name)
    if t is None:
        known = ", ".join(sorted(x.name for x in config.targets)) or "none"
        where = config.path or "the configuration"
        raise TargetError(f"no [[target]] named {name!r} in {where} (targets: {known})")
    return t


def host_snapshot(
    args: argparse.Namespace, config: Config, extra: tuple[str, ...] = ()
) -> tuple[Any, Config, Optional[Capture]]:
    """Gather the host the arguments name; the configuration to check it
    with; and the capture it was replayed from (None for a live host)."""
    t = _target(args, config)
    if t is None:
        runner = make_runner(args, config)
        timeout = config.daemon.command_timeout
        snap = gather(runner, run_modlist=args.modlist, extra_modlist=extra, timeout=timeout)
        return snap, config, render.replayed(runner)
    ssh = SshRunner.from_config(t, config.daemon)
    try:
        snap, _, _ = gather_remote(ssh, t.groups, None, args.modlist, extra)
    finally:
        ssh.close()
    return snap, config.for_target(t.name), None


def make_runner(args: argparse.Namespace, config: Config) -> Runner:
    if getattr(args, "demo", False):
        return CaptureRunner(demo_dir())
    if getattr(args, "capture", None):
        return CaptureRunner(args.capture)
    return SubprocessRunner(config.daemon.path, root=config.daemon.root)


def _dump(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def result_dict(r: Any) -> dict[str, Any]:
    return {
        "group": r.group,
        "seen_in": list(r.seen_in),
        "code": r.code,
        "name": r.name,
        "severity": r.severity,
        "status": r.status,
        "reason": r.reason,
    }


def finding_dict(f: Any) -> dict[str, Any]:
    return {
        "group": f.group,
        "code": f.code,
        "name": f.name,
        "severity": f.severity,
        "interfaces": list(f.interfaces),
        "message": f.message,
        "remediation": list(f.remediation),
        "remedy": remedy_dict(f.remedy),
    }


def remedy_dict(remedy: Any) -> dict[str, Any]:
    """The remedy as data: its actions, and whether the replay tests prove it."""
    return {
        "actions": [actions.action_dict(x) for x in remedy],
        "verification": actions.verification(remedy),
        "at_next_boot": actions.at_next_boot(remedy),
    }


def fix_lines(f: Any, indent: str) -> list[str]:
    """A finding's rendered remedy, one ``fix:`` per command (a boot file's
    content indented under it), and how it is verified."""
    out = []
    for line in f.remediation:
        first, *rest = line.split("\n")
        out.append(f"{indent}fix: {first}")
        out.extend(f"{indent}     {part}" for part in rest)
    if f.remediation:
        boot = ", takes effect at the next boot" if actions.at_next_boot(f.remedy) else ""
        out.append(f"{indent}     ({f.verification}{boot})")
    return out


def blind_text(snap: Any) -> list[str]:
    """What could not be looked at, the interface list first: printed before anything else."""
    out = []
    if snap.interface_list_error() is not None:
        out.append(f"COULD NOT LOOK: the interface list: {snap.interface_list_error()}")
    for why in snap.discovery_errors():
        if why != snap.interface_list_error():
            out.append(f"COULD NOT LOOK: {why}")
    for s in snap.failed_sources():
        if s.name == "ifconfig":
            continue
        what = " ".join(s.argv) if s.argv else (s.path or s.name)
        out.append(f"could not look: {s.name} ({what}): {s.error}")
    return out


def heading_text(snap: Any, replay: Optional[Capture]) -> list[str]:
    """What heads the text about a host: what could not be looked at first,
    always (README, "Exit 3"), then whether it is a replay of a capture."""
    out = blind_text(snap) if snap is not None else []
    if replay is not None:
        out.append(render.replay_line(replay))
    return out


def results_text(results: tuple[Any, ...], snap: Any = None, replay: Optional[Capture] = None) -> str:
    out = heading_text(snap, replay)
    if out:
        out.append("")
    groups = sorted({r.group for r in results})
    for g in groups:
        rs = [r for r in results if r.group == g]
        counts = {s: sum(1 for r in rs if r.status == s) for s in ("finding", "unknown", "skipped")}
        seen = ", ".join(rs[0].seen_in) if rs and rs[0].seen_in else "-"
        out.append(
            f"group {g} (seen in {seen}): {counts['finding']} finding(s), {counts['unknown']} unknown, "
            f"{counts['skipped']} skipped"
        )
        for r in rs:
            if r.status == "finding":
                for f in r.findings:
                    out.append(f"  {f.severity.upper():7} {f.code} {f.name}: {f.message}")
                    out.extend(fix_lines(f, "          "))
        for r in rs:
            if r.status in ("unknown", "skipped"):
                out.append(f"  {r.status.upper():7} {r.code} {r.name}: {r.reason}")
        oks = [r.name for r in rs if r.status == "ok"]
        if oks:
            out.append(f"  OK      {', '.join(oks)}")
        out.append("")
    if groups and any(r.reason and LIVE_NOT_INSPECTED in r.reason for r in results):
        out.append(
            f"STREAMS modules {LIVE_NOT_INSPECTED} (ifconfig IF modlist was not run: --modlist runs it, "
            "and it unlinks and relinks each member's IP stream to read it)."
        )
    if not groups:
        if snap is not None and snap.discovery_errors():
            out.append("no IPMP group found, but not every place a group is defined could be read")
        else:
            out.append("no IPMP groups found on this host and none configured")
    return "\n".join(out).rstrip() + "\n"


def _worst(fs: list[Any]) -> int:
    return max((SEVERITY_ORDER[f.severity] for f in fs), default=-1)


def exit_code(snap: Any, results: tuple[Any, ...], fail_on: str) -> int:
    """0 clean, 1 a finding at or above ``fail_on``, 3 could not look (a check
    that applies is unknown, or a source that finds groups failed)."""
    if _worst(findings(results)) >= SEVERITY_ORDER[fail_on]:
        return EXIT_FOUND
    if snap.discovery_errors() or any(r.status == "unknown" for r in results):
        return EXIT_BLIND
    return EXIT_OK


def _plugin_text(text: str) -> str:
    # One line; "|" would start the performance data.
    return " ".join(text.replace("|", "/").split())


def nagios(snap: Any, results: tuple[Any, ...], fail_on: str) -> tuple[int, str]:
    """One monitoring-plugin status line with performance data, and its exit code."""
    fs = findings(results)
    counted = [f for f in fs if SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[fail_on]]
    errors = [f for f in counted if f.severity == "error"]
    warnings = [f for f in counted if f.severity != "error"]
    unknown = [r for r in results if r.status == "unknown"]
    discovery = snap.discovery_errors()
    blind = "; ".join(discovery) if discovery else None
    perf = f"findings={len(fs)} unknown={len(unknown)}"

    def listed(items: list[Any]) -> str:
        shown = [f"{f.group}/{f.code} {f.name} ({','.join(f.interfaces) or '-'})" for f in items[:3]]
        return "; ".join(shown) + (f"; and {len(items) - 3} more" if len(items) > 3 else "")

    if errors:
        code, state = NAGIOS_CRITICAL, "CRITICAL"
        text = f"{len(errors)} error finding(s): {listed(errors)}"
        if warnings:
            text += f"; {len(warnings)} warning finding(s)"
    elif warnings:
        code, state = NAGIOS_WARNING, "WARNING"
        text = f"{len(warnings)} warning finding(s): {listed(warnings)}"
    elif blind is not None:
        code, state, text = NAGIOS_UNKNOWN, "UNKNOWN", f"could not look: {blind}"
    elif unknown:
        first = unknown[0]
        code, state = NAGIOS_UNKNOWN, "UNKNOWN"
        text = (
            f"{len(unknown)} check(s) could not be evaluated, e.g. {first.group}/{first.code} "
            f"{first.name}: {first.reason}"
        )
    else:
        groups = len({r.group for r in results})
        code, state = NAGIOS_OK, "OK"
        text = f"{groups} group(s), no finding at or above {fail_on}"
    if blind is not None and code != NAGIOS_UNKNOWN:
        text += f"; could not look: {blind}"
    return code, f"IPMPD {state} - {_plugin_text(text)} | {perf}"


def cmd_snapshot(args: argparse.Namespace, config: Config) -> int:
    snap, _, replay = host_snapshot(args, config)
    if args.format == "json":
        _dump(render.snapshot_dict(snap, replay))
    else:
        print(render.snapshot_text(snap, replay))
    # the interface list could not be read: what was printed is not the host
    return EXIT_BLIND if snap.interface_list_error() is not None else EXIT_OK


def cmd_check(args: argparse.Namespace, config: Config) -> int:
    snap, config, replay = host_snapshot(args, config)
    results = evaluate(snap, config)
    if args.nagios:
        code, line = nagios(snap, results, args.fail_on)
        print(line)
        return code
    fs = findings(results)
    if args.format == "json":
        _dump(
            {
                "could_not_look": could_not_look(snap),
                "groups": [{"name": g, "seen_in": list(v)} for g, v in sorted(groups_seen(results).items())],
                "results": [result_dict(r) for r in results],
                "findings": [finding_dict(f) for f in fs],
                "snapshot": render.snapshot_dict(snap, replay),
            }
        )
    else:
        sys.stdout.write(results_text(results, snap, replay))
    return exit_code(snap, results, args.fail_on)


def could_not_look(snap: Any) -> list[dict[str, Any]]:
    return [
        {"source": s.name, "argv": list(s.argv) if s.argv else None, "path": s.path, "error": s.error}
        for s in snap.failed_sources()
    ]


def _plan_arguments(interfaces: list[str]) -> list[str]:
    """Problems with ``plan``'s interface list that need no look at the host."""
    from ipmpd.sources import LINK_NAME

    problems = []
    seen: set[str] = set()
    for name in interfaces:
        physical, colon, unit = name.partition(":")
        if not LINK_NAME.match(physical) or (colon and not unit.isdigit()):
            problems.append(f"{name!r}: not an interface name")
        elif colon:
            problems.append(
                f"{name}: a logical interface; only physical interfaces join a group (use {physical})"
            )
        elif name in seen:
            problems.append(f"{name}: named more than once")
        seen.add(name)
    return problems


def cmd_plan(args: argparse.Namespace, config: Config) -> int:
    from ipmpd import plan

    problems = _plan_arguments(args.interfaces)
    if problems:
        for p in problems:
            print(f"ipmpd plan: {p}", file=sys.stderr)
        return EXIT_USAGE
    physical = tuple(args.interfaces)
    snap, config, replay = host_snapshot(args, config, physical)
    blind = snap.interface_list_error()
    if blind is not None:
        if args.format == "json":
            _dump({"could_not_look": could_not_look(snap), "error": blind})
        for line in blind_text(snap):
            print(f"ipmpd plan: {line}", file=sys.stderr)
        print("ipmpd plan: cannot plan a group on a host whose interfaces cannot be read", file=sys.stderr)
        return EXIT_BLIND
    absent = plan.absent(snap, physical)
    if absent and snap.source_ok("links") is False:
        # An unplumbed NIC is only seen by dladm show-phys, which failed.
        why = "; ".join(snap.source_errors("links"))
        for name in absent:
            print(f"ipmpd plan: {name}: not plumbed, and dladm show-phys failed ({why})", file=sys.stderr)
        return EXIT_BLIND
    if absent:
        for name in absent:
            print(
                f"ipmpd plan: {name}: no such interface on this host ({plan.where_looked(snap)})",
                file=sys.stderr,
            )
        return EXIT_USAGE
    steps, results = plan.walk(snap, args.group, physical, config)
    fs = findings(tuple(results))
    create = plan.create_actions(snap, args.group, physical)
    commands = render_remedy(create, snap.host.platform)
    code = exit_code(snap, tuple(results), args.fail_on)
    if args.format == "json":
        _dump(
            {
                "results": [result_dict(r) for r in results],
                "findings": [finding_dict(f) for f in fs],
                "steps": [
                    {"step": s.number, "title": s.title, "verdict": s.verdict, "why": s.why} for s in steps
                ],
                "commands": list(commands),
                "create": remedy_dict(create),
                "could_not_look": could_not_look(snap),
                "snapshot": render.snapshot_dict(snap, replay),
            }
        )
        return code
    for line in heading_text(snap, replay):
        print(line)
    print(f"Planning group {args.group} with {', '.join(args.interfaces)} ({snap.host.platform})\n")
    for s in steps:
        print(f"Step {s.number}: {s.title}: {s.verdict.upper()}")
        if s.why:
            print(f"    {s.why}")
        for r in s.results:
            for f in r.findings:
                for line in fix_lines(f, "    "):
                    print(line)
    print(f"\nTo create the group on this platform ({verification(create)}):")
    for line in commands:
        for n, part in enumerate(line.split("\n")):
            print(f"    {'' if n == 0 else '  '}{part}")
    return code


def cmd_checks(args: argparse.Namespace) -> int:
    if args.format == "json":
        _dump(
            [
                {
                    "code": c.code,
                    "name": c.name,
                    "severity": c.severity,
                    "step": c.step,
                    "sources": list(c.needs),
                    "what": c.section("What it checks"),
                    "why": c.section("Why it matters"),
                    "fix": c.section("Fix"),
                    "fix_safety": c.section("Fix safety"),
                }
                for c in REGISTRY
            ]
        )
        return EXIT_OK
    sys.stdout.write(checks_markdown())
    return EXIT_OK


def checks_markdown() -> str:
    """The text of docs/checks.md, generated from the checks' docstrings."""
    out = [
        "# Checks",
        "",
        "Generated by `ipmpd checks` from the checks' docstrings; do not edit by hand.",
        "Codes and names are permanent: they appear in metrics, alerts and JSON.",
        'Steps refer to "How to Plan for an IPMP Group" (System Administration Guide: IP Services).',
        "",
        "## Which groups are checked",
        "",
        "Every group running on the host, restored by its boot configuration (`/etc/hostname.IF`,",
        "ipadm) or declared in ipmpd.toml. Each result carries `seen_in` (`runtime`, `boot`,",
        "`config`); a group that is not running is judged on the members its boot configuration",
        "(else ipmpd.toml) gives it, and its runtime health is skipped.",
        "",
        "## Results and exit codes",
        "",
        "Each (group, check) is **ok**, **finding**, **unknown** (could not look: the reason names",
        "the source and its error) or **skipped** (ignored in the configuration, or not applicable).",
        "`ipmpd check` and `ipmpd plan` exit 0 clean, 1 a finding at or above `--fail-on`,",
        "2 bad usage or configuration, 3 could not look: nothing at or above `--fail-on` was found",
        "but a check that applies is unknown, or the interface list (`ifconfig -a`) could not be read.",
        "`ipmpd check --nagios` prints one plugin line (`IPMPD STATE - ... | findings=N unknown=M`)",
        "and exits 0 OK, 1 WARNING (warning findings), 2 CRITICAL (error findings), 3 UNKNOWN",
        "(could not look, or a usage or configuration error).",
        "",
        "## Fixes and how they are proven",
        "",
        "A fix is a list of typed actions (ipmpd/remedy/actions.py) that one renderer turns into the",
        "host's commands; `--format json` carries both (`remedy.actions`, `remediation`). A fix is",
        "**simulated** when the replay tests prove it: a simulator applies it to the snapshot, the",
        "finding must clear and no new one appear, then it reboots the host from the simulated",
        "hostname files and ipadm configuration, as net-physical reads them, and the finding must stay",
        "cleared, the reboot bring nothing a reboot without the fix would not, and every interface",
        "the fix touched come back as the fix left it. Every fix ipmpd builds, on every test host",
        "and on generated ones, goes through this. A fix with a step the simulator cannot model",
        "(a choice, cabling, autopush) is **by hand** and says so in its text. A boot-file fix",
        'shows the whole file; nothing is appended blindly. "Fix safety" below says, per check,',
        "what its fix changes and when it is by hand.",
        "",
        "## The checks",
        "",
        "| code | name | default severity | step |",
        "|---|---|---|---|",
    ]
    for c in REGISTRY:
        out.append(f"| {c.code} | {c.name} | {c.severity} | {c.step or '-'} |")
    for c in REGISTRY:
        out += [
            "",
            f"### {c.code} {c.name}",
            "",
            f"Default severity: **{c.severity}**"
            + (f"; planning step {c.step}" if c.step else "")
            + (f"; needs source {', '.join(c.needs)}" if c.needs else ""),
            "",
            f"**What it checks.** {c.section('What it checks')}",
            "",
            f"**Why it matters.** {c.section('Why it matters')}",
            "",
            f"**Fix.** {c.section('Fix')}",
            "",
            f"**Fix safety.** {c.section('Fix safety')}",
        ]
    return "\n".join(out) + "\n"


def cmd_capture(args: argparse.Namespace, config: Config) -> int:
    dest: Optional[Destination] = None
    if args.out is not None:
        dest = DirDestination(args.out)
    elif args.stream != "-":
        dest = StreamDestination(args.stream)
    # Before any command runs: a path that cannot take the capture fails now.
    if dest is not None:
        dest.claim()
    try:
        return _capture(args, config, dest)
    except BaseException:
        if dest is not None:
            dest.abandon()
        raise


def _capture(args: argparse.Namespace, config: Config, dest: Optional[Destination]) -> int:
    t = _target(args, config)
    report = sys.stderr if args.stream else sys.stdout
    if t is not None:
        where = f"target {t.name}"
        ssh = SshRunner.from_config(t, config.daemon)
        try:
            cap = ssh.collect(modlist=args.modlist, extra=target_members(t.groups))
        except CollectError as e:
            if dest is not None:
                dest.abandon()
            print(f"ipmpd: target {t.name}: {e}", file=sys.stderr)
            return EXIT_BLIND
        finally:
            ssh.close()
        snap = gather(CaptureRunner(cap))
    else:
        where = "this host"
        system = os.uname().sysname
        if system != "SunOS":
            print(
                f"ipmpd capture: this host is {system}, not Solaris or illumos: recording what the "
                f"commands on {config.daemon.path} answer anyway",
                file=sys.stderr,
            )
        rec = RecordingRunner(SubprocessRunner(config.daemon.path, root=config.daemon.root))
        snap = gather(rec, run_modlist=args.modlist, timeout=config.daemon.command_timeout)
        taken = datetime.datetime.fromtimestamp(snap.taken_at, datetime.timezone.utc)
        cap = rec.capture
        cap.taken_at = taken.strftime("%Y-%m-%dT%H:%M:%SZ")
    if dest is None:
        data = capture.stream_bytes(cap)
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        written = capture.read_stream(data, "<stdout>")
        name = "stdout"
    else:
        written = dest.write(cap)
        name = args.stream or os.path.join(args.out, capture.MANIFEST)
    # Counted from what was written, read back: not from what was asked for.
    print(f"wrote {name}: {capture.summary(written, where)}", file=report)
    for line in not_recorded(snap, cap, written):
        print(f"not recorded: {line}", file=report)
    failed = [s.name for s in snap.sources if not s.ok]
    if failed:
        print(f"sources that did not answer: {', '.join(sorted(set(failed)))}", file=report)
    return EXIT_OK


def not_recorded(snap: Any, kept: Capture, written: Capture) -> list[str]:
    """What the gather asked for that the written capture does not hold, and why."""
    out: list[str] = []
    for s in snap.sources:
        if s.argv is None or s.argv in written.commands:
            continue
        if s.argv in kept.commands:
            why = "not plain words, which a stream cannot hold"
        else:
            why = s.error or "no answer to record"
        line = f"{' '.join(s.argv)}: {why}"
        if line not in out:
            out.append(line)
    paths = set(kept.files) | kept.absent | set(kept.unreadable)
    held = set(written.files) | written.absent | set(written.unreadable)
    for path in sorted(paths - held):
        out.append(f"{path}: not a plain path, which a stream cannot hold")
    for pattern in sorted(set(kept.globs) - set(written.globs)):
        out.append(f"the listing {pattern}: not a plain pattern, which a stream cannot hold")
    return out


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        code = _plugin_main(argv)
        sys.stdout.flush()  # here, where a reader gone away can still be told apart
        return code
    except BrokenPipeError:
        return _stdout_gone()


def _stdout_gone() -> int:
    """Standard output's reader went away (``ipmpd check | head -1``): leave
    quietly, as a Unix tool SIGPIPE kills.  What is still buffered goes to
    /dev/null, so the flush at exit raises nothing (the recipe in Python's
    signal module documentation, "Note on SIGPIPE")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # standard output is not a file here (replaced in-process)
    return EXIT_PIPE


def _plugin_main(argv: list[str]) -> int:
    # argparse accepts any unambiguous prefix of an option.
    plugin = any(len(a) > 3 and "--nagios".startswith(a) for a in argv)
    if not plugin:
        return _main(argv)
    try:
        return _main(argv, plugin=True)
    except SystemExit as e:
        if e.code == EXIT_USAGE:
            return _plugin_unknown("usage error (see ipmpd check --help)")
        raise
    except BrokenPipeError:
        raise
    except Exception as e:  # a plugin's crash is UNKNOWN, never WARNING
        return _plugin_unknown(f"internal error: {e!r}")


def _check_tls(config: Config) -> None:
    """Refuse what ``ipmpd run`` would refuse at start: a TLS certificate or
    key that cannot be loaded (ConfigError).  A file this user may not read
    is not judged: the daemon may run as another user."""
    try:
        tls_context(config, unreadable_ok=True)
    except ImportError:
        pass  # no ssl module here: the files cannot be judged, and ipmpd run refuses this Python


def _plugin_unknown(text: str) -> int:
    """The plugin line for a run that could not check at all."""
    print(f"IPMPD UNKNOWN - {_plugin_text(text)} | findings=0 unknown=0")
    return NAGIOS_UNKNOWN


def _main(argv: list[str], plugin: bool = False) -> int:
    args = parser().parse_args(argv)
    if args.command == "checks":
        return cmd_checks(args)
    if args.command == "collector":
        sys.stdout.write(collector.script())
        return EXIT_OK
    if args.command == "run":
        # Checked before anything imports prometheus_client, which imports ssl.
        no_ssl = missing_ssl()
        if no_ssl is not None:
            # 96, not 95: it never mends itself; config/command must name another Python.
            print(f"ipmpd: {no_ssl}", file=sys.stderr)
            return SMF_EXIT_ERR_CONFIG
        from ipmpd import daemon

        return daemon.main(args)
    try:
        config = load_config(args.config)
        _check_tls(config)
    except ConfigError as e:
        if plugin:
            return _plugin_unknown(f"configuration error: {e}")
        print(str(e), file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "snapshot":
            return cmd_snapshot(args, config)
        if args.command == "check":
            return cmd_check(args, config)
        if args.command == "plan":
            return cmd_plan(args, config)
        if args.command == "capture":
            return cmd_capture(args, config)
    except (CaptureError, TargetError) as e:
        if plugin:
            return _plugin_unknown(str(e))
        print(f"ipmpd: {e}", file=sys.stderr)
        return EXIT_USAGE
    raise AssertionError(args.command)
