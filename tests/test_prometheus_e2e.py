"""A real Prometheus scrapes ipmpd and evaluates the shipped rules; a real Alertmanager routes them.

ipmpd runs over the demo host with one ``[[target]]`` on a closed loopback
port.  Prometheus scrapes its /metrics directly and the target through
/probe with the README's relabelling.  Every dashboard panel query returns
data, the planted module-order violation fires its alert, alerts for
healthy conditions stay inactive, and Alertmanager (Debian's
prometheus-alertmanager, with the README's routing) delivers the
probe-failed page to the paging webhook and the drift finding to the ticket
webhook only.  The picture in the README (docs/img/demo-overview.png) is
drawn from what this Prometheus holds.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml
from helpers import REPO, free_port, tool

RULES = REPO / "grafana" / "alerts" / "ipmpd-rules.yml"
DASHBOARD = REPO / "grafana" / "dashboards" / "ipmpd.json"
PICTURE = REPO / "docs" / "img" / "demo-overview.png"
# What fires over the demo host and a target that cannot be reached; every
# other alert describes a healthy condition there and must stay inactive.
EXPECTED = {"IpmpdPlanningRuleBroken", "IpmpdProbeFailed", "IpmpdSourceFailing"}


def api(base: str, path: str, **params: str) -> dict:
    url = f"{base}{path}?{urllib.parse.urlencode(params)}" if params else f"{base}{path}"
    with urllib.request.urlopen(url, timeout=10) as r:
        data = json.loads(r.read())
    assert data["status"] == "success", data
    return data["data"]


def wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last: {last}")


def readme_block(section: str, starts: str) -> dict:
    readme = (REPO / "README.md").read_text()
    text = readme[readme.index(section) :]
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if b.startswith(starts))
    return yaml.safe_load(block)


class Webhooks:
    """Two webhook receivers on loopback: what Alertmanager delivered to each path."""

    def __init__(self) -> None:
        got: dict[str, list[dict]] = {}
        self.got = got

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                got.setdefault(self.path, []).extend(body["alerts"])
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self, path: str) -> list[dict]:
        return list(self.got.get(path, []))


def start(argv: list[str], log) -> subprocess.Popen:
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log.open("w"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    ipmpd_port, prom_port, am_port, closed = free_port(), free_port(), free_port(), free_port()
    (tmp / "id").write_text("")
    (tmp / "known_hosts").write_text("")
    cfg = tmp / "ipmpd.toml"
    cfg.write_text(
        f'[daemon]\ninterval = "2s"\nmodlist_interval = "5s"\nlisten = "127.0.0.1:{ipmpd_port}"\n'
        'target_timeout = "3s"\n\n'
        f'[[target]]\nname = "dead"\nhost = "127.0.0.1"\nport = {closed}\nuser = "ipmpd"\n'
        f'identity_file = "{tmp / "id"}"\nknown_hosts = "{tmp / "known_hosts"}"\n'
    )
    hooks = Webhooks()
    # The README's routing, with waits short enough for a test and local webhooks.
    routing = readme_block("### Routing alerts", "# alertmanager.yml")
    routing["route"].update(group_wait="1s", group_interval="1s", repeat_interval="1h")
    for r in routing["receivers"]:
        r["webhook_configs"] = [{"url": f"{hooks.url}/{r['name']}"}]
    (tmp / "alertmanager.yml").write_text(yaml.safe_dump(routing))
    checked = subprocess.run(
        [tool("amtool"), "check-config", str(tmp / "alertmanager.yml")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # A test-only copy of the rules with `for:` at 0s, so alerts fire within
    # seconds (toolchain notes, section C); the two about slow gathers keep a
    # little, so one slow gather on a loaded machine is not an alert.
    rules = yaml.safe_load(RULES.read_text())
    for g in rules["groups"]:
        for r in g["rules"]:
            r["for"] = "20s" if r["alert"] in ("IpmpdDataStale", "IpmpdModuleListsStale") else "0s"
    (tmp / "rules.yml").write_text(yaml.safe_dump(rules))
    fleet = readme_block("### Prometheus\n", "scrape_configs:")["scrape_configs"][0]
    assert fleet["metrics_path"] == "/probe"
    fleet.update(scrape_interval="1s", static_configs=[{"targets": ["dead"]}])
    fleet["relabel_configs"][-1]["replacement"] = f"127.0.0.1:{ipmpd_port}"
    (tmp / "prometheus.yml").write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(tmp / "rules.yml")],
                "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
                "scrape_configs": [
                    {"job_name": "ipmpd", "static_configs": [{"targets": [f"127.0.0.1:{ipmpd_port}"]}]},
                    fleet,
                ],
            }
        )
    )
    procs = [
        start([sys.executable, "-m", "ipmpd", "run", "--demo", "--config", str(cfg)], tmp / "ipmpd.log"),
        start(
            [
                tool("alertmanager"),
                f"--config.file={tmp / 'alertmanager.yml'}",
                f"--storage.path={tmp / 'am'}",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            tmp / "alertmanager.log",
        ),
        start(
            [
                tool("prometheus"),
                f"--config.file={tmp / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
                "--log.level=warn",
            ],
            tmp / "prometheus.log",
        ),
    ]
    base = f"http://127.0.0.1:{prom_port}"
    try:
        wait(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{am_port}/-/ready", timeout=2).status == 200,
            30,
            "alertmanager: " + (tmp / "alertmanager.log").read_text()[-2000:],
        )
        instance = f"127.0.0.1:{ipmpd_port}"
        wait(
            lambda: api(base, "/api/v1/query", query='ipmpd_finding{check="module-order"}')["result"],
            60,
            "the first scrape with the module-order finding",
        )
        yield base, instance, hooks, tmp
    finally:
        hooks.server.shutdown()
        for p in procs:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def alerts(base: str) -> dict[str, str]:
    return {a["labels"]["alertname"]: a["state"] for a in api(base, "/api/v1/alerts")["alerts"]}


def test_planted_violation_fires_and_healthy_alerts_stay_inactive(stack):
    base, instance, _, _ = stack
    wait(
        lambda: {a["labels"]["alertname"] for a in api(base, "/api/v1/alerts")["alerts"]} >= EXPECTED,
        60,
        f"{sorted(EXPECTED)} to fire",
    )
    drift = [
        a
        for a in api(base, "/api/v1/alerts")["alerts"]
        if a["labels"]["alertname"] == "IpmpdPlanningRuleBroken" and a["labels"]["check"] == "module-order"
    ]
    assert len(drift) == 1
    labels, notes = drift[0]["labels"], drift[0]["annotations"]
    assert labels["group"] == "10g-failover" and labels["instance"] == instance
    assert labels["severity"] == "warning" and labels["check_severity"] == "error"
    assert not {"message", "remediation", "interfaces"} & set(labels)
    # the template query brings the message and the exact fix back
    assert (
        "Interfaces: e1000g1. Fix: ifconfig e1000g1 modremove firewall@2; # by hand: " in notes["description"]
    )
    assert notes["ipmpd_page"] == f"http://{instance}/"
    for _ in range(3):  # and the others stay inactive over several evaluations
        rules = api(base, "/api/v1/rules")
        states = {r["name"]: (r["state"], r["health"]) for g in rules["groups"] for r in g["rules"]}
        assert all(h == "ok" for _, h in states.values()), states
        assert {n for n, (s, _) in states.items() if s == "firing"} == EXPECTED
        time.sleep(1.5)


def test_a_probe_target_that_cannot_be_reached_pages_and_drift_opens_a_ticket(stack):
    """Through /probe and relabelling, the unreachable target is its own
    instance; Alertmanager pages for it, with the runbook link, and sends the
    drift finding to the ticket receiver only."""
    base, instance, hooks, _ = stack
    series = wait(
        lambda: api(base, "/api/v1/query", query='ipmpd_probe_success{job="ipmpd-fleet"}')["result"],
        60,
        "the first /probe scrape of the target",
    )
    assert [(s["metric"]["instance"], s["value"][1]) for s in series] == [("dead", "0")]
    pages = wait(
        lambda: [a for a in hooks.alerts("/pager") if a["labels"]["alertname"] == "IpmpdProbeFailed"],
        60,
        "IpmpdProbeFailed at the paging webhook",
    )
    assert pages[0]["labels"]["instance"] == "dead" and pages[0]["labels"]["severity"] == "critical"
    assert pages[0]["annotations"]["runbook_url"] == (
        "https://github.com/ipmpd/ipmpd/blob/main/docs/runbook.md#ipmpdprobefailed"
    )
    tickets = wait(
        lambda: [
            a for a in hooks.alerts("/tickets") if a["labels"]["alertname"] == "IpmpdPlanningRuleBroken"
        ],
        60,
        "the drift finding at the ticket webhook",
    )
    assert {a["labels"]["instance"] for a in tickets} == {instance}
    time.sleep(3)  # several group intervals: nothing else may arrive at the wrong place
    assert {a["labels"]["severity"] for a in hooks.alerts("/pager")} == {"critical"}
    assert {a["labels"]["alertname"] for a in hooks.alerts("/pager")} == {"IpmpdProbeFailed"}
    assert "critical" not in {a["labels"]["severity"] for a in hooks.alerts("/tickets")}
    # the dead target's own ticket (its ifconfig source failing) is held back by the page
    assert all(a["labels"]["instance"] != "dead" for a in hooks.alerts("/tickets"))


def grafana(expr: str, instance: str) -> str:
    """What Grafana sends for one host: a variable in the :regex format is regex-escaped,
    inside a PromQL string (so each backslash doubled)."""
    return (
        expr.replace("${job:regex}", "ipmpd")
        .replace("${instance:regex}", re.escape(instance).replace("\\", "\\\\"))
        .replace("${group:regex}", "10g-failover")
        .replace("$__range", "5m")
    )


def test_every_dashboard_query_returns_data(stack):
    base, instance, _, _ = stack
    dashboard = json.loads(DASHBOARD.read_text())
    empty = []
    for p in dashboard["panels"]:
        for t in p.get("targets", []):
            expr = grafana(t["expr"], instance)
            if not api(base, "/api/v1/query", query=expr)["result"]:
                empty.append(f"{p['title']}: {expr}")
    # the probe column of the last-seen table has data for the /probe job only
    assert empty == [] or all("ipmpd_probe_success" in e for e in empty), empty
    for v in dashboard["templating"]["list"]:
        if v["type"] == "query":
            selector = grafana(v["query"][len("label_values(") : v["query"].rindex(",")], instance)
            assert api(base, "/api/v1/series", **{"match[]": selector}), v["name"]


def test_overview_picture_is_drawn_from_prometheus(stack):
    """Drawn in the test's directory; IPMPD_DRAW_PICTURE=1 redraws the README's copy."""
    base, instance, _, tmp = stack
    picture = PICTURE if os.environ.get("IPMPD_DRAW_PICTURE") else tmp / PICTURE.name
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = api(base, "/api/v1/query", query=f'ipmpd_check_result{{instance="{instance}"}} == 1')["result"]
    groups = sorted({r["metric"]["group"] for r in results})
    checks = sorted({(r["metric"]["code"], r["metric"]["check"]) for r in results})
    colour = {"ok": 0, "skipped": 1, "unknown": 2, "finding": 3}
    grid = [[0] * len(checks) for _ in groups]
    for r in results:
        m = r["metric"]
        grid[groups.index(m["group"])][checks.index((m["code"], m["check"]))] = colour[m["result"]]
    end = time.time()
    usable = api(
        base,
        "/api/v1/query_range",
        query=f'ipmpd_group_usable_members{{instance="{instance}"}}',
        start=str(end - 60),
        end=str(end),
        step="1",
    )["result"]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(11, 6.5), gridspec_kw={"height_ratios": [1.2, 1]})
    cmap = matplotlib.colors.ListedColormap(["#4caf50", "#9e9e9e", "#ffb300", "#e53935"])
    ax1.imshow(grid, cmap=cmap, vmin=0, vmax=3, aspect="auto")
    ax1.set_xticks(range(len(checks)), [f"{c}\n{n}" for c, n in checks], fontsize=7, rotation=45, ha="right")
    ax1.set_yticks(range(len(groups)), groups)
    ax1.set_title("ipmpd_check_result on the demo host (green ok, grey skipped, amber unknown, red finding)")
    for series in usable:
        xs = [float(t) - end for t, _ in series["values"]]
        ax2.step(xs, [float(v) for _, v in series["values"]], where="post", label=series["metric"]["group"])
    ax2.set_ylim(0, 3)
    ax2.set_xlabel("seconds ago")
    ax2.set_ylabel("usable members")
    ax2.legend(loc="lower left")
    fig.tight_layout()
    picture.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(picture, dpi=90, metadata={"Software": None})
    plt.close(fig)
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert grid[groups.index("10g-failover")][checks.index(("IPMP005", "module-order"))] == colour["finding"]
    assert usable and all(float(v) == 2 for s in usable for _, v in s["values"])
