"""A real Prometheus scrapes ``ipmpd run --demo`` and evaluates the shipped rules.

Every dashboard panel query returns data, the planted module-order violation
fires its alert, alerts for healthy conditions stay inactive, and the
picture in the README (docs/img/demo-overview.png) is drawn from what this
Prometheus holds.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest
import yaml
from helpers import REPO, free_port, tool

RULES = REPO / "grafana" / "alerts" / "ipmpd-rules.yml"
DASHBOARD = REPO / "grafana" / "dashboards" / "ipmpd.json"
PICTURE = REPO / "docs" / "img" / "demo-overview.png"
HEALTHY = {
    "IpmpdDuplicateMac",
    "IpmpdAddressFamilyMismatch",
    "IpmpdMediaTypeMismatch",
    "IpmpdFindingError",
    "IpmpdFindingWarning",
    "IpmpdGroupFailed",
    "IpmpdGroupDegraded",
    "IpmpdFewerThanTwoUsableMembers",
    "IpmpdDown",
    "IpmpdDataStale",
    "IpmpdSourceFailing",
    "IpmpdConfigReloadFailed",
    "IpmpdModuleListsStale",
}


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


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    ipmpd_port, prom_port = free_port(), free_port()
    cfg = tmp / "ipmpd.toml"
    cfg.write_text(f'[daemon]\ninterval = "2s"\nmodlist_interval = "5s"\nlisten = "127.0.0.1:{ipmpd_port}"\n')
    ipmpd = subprocess.Popen(
        [sys.executable, "-m", "ipmpd", "run", "--demo", "--config", str(cfg)],
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "ipmpd.log").open("w"),
    )
    # A test-only copy of the rules with every `for:` at 0s, so alerts fire
    # within seconds (toolchain notes, section C).
    rules = yaml.safe_load(RULES.read_text())
    for g in rules["groups"]:
        for r in g["rules"]:
            r["for"] = "0s"
    (tmp / "rules.yml").write_text(yaml.safe_dump(rules))
    (tmp / "prometheus.yml").write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(tmp / "rules.yml")],
                "scrape_configs": [
                    {"job_name": "ipmpd", "static_configs": [{"targets": [f"127.0.0.1:{ipmpd_port}"]}]}
                ],
            }
        )
    )
    prom = subprocess.Popen(
        [
            tool("prometheus"),
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "prometheus.log").open("w"),
    )
    base = f"http://127.0.0.1:{prom_port}"
    try:
        instance = f"127.0.0.1:{ipmpd_port}"
        wait(
            lambda: api(base, "/api/v1/query", query='ipmpd_finding{check="module-order"}')["result"],
            60,
            "the first scrape with the module-order finding",
        )
        yield base, instance
    finally:
        for p in (prom, ipmpd):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def alerts(base: str) -> dict[str, str]:
    return {a["labels"]["alertname"]: a["state"] for a in api(base, "/api/v1/alerts")["alerts"]}


def test_planted_violation_fires_and_healthy_alerts_stay_inactive(stack):
    base, _ = stack
    firing = wait(
        lambda: alerts(base).get("IpmpdModuleOrderMismatch") == "firing" and alerts(base),
        60,
        "IpmpdModuleOrderMismatch to fire",
    )
    labels = next(
        a["labels"]
        for a in api(base, "/api/v1/alerts")["alerts"]
        if a["labels"]["alertname"] == "IpmpdModuleOrderMismatch"
    )
    assert labels["group"] == "10g-failover" and labels["interfaces"] == "e1000g1"
    assert labels["remediation"].startswith("ifconfig e1000g1 modremove firewall@2; # by hand: ")
    for _ in range(3):  # and they stay inactive over several evaluations
        assert not (HEALTHY & set(firing)), firing
        time.sleep(1.5)
        firing = alerts(base)
    rules = api(base, "/api/v1/rules")
    states = {r["name"]: (r["state"], r["health"]) for g in rules["groups"] for r in g["rules"]}
    assert all(h == "ok" for _, h in states.values()), states
    assert {n for n, (s, _) in states.items() if s != "inactive"} == {"IpmpdModuleOrderMismatch"}


def test_every_dashboard_query_returns_data(stack):
    base, instance = stack
    dashboard = json.loads(DASHBOARD.read_text())
    empty = []
    for p in dashboard["panels"]:
        for t in p.get("targets", []):
            expr = t["expr"].replace("$instance", instance).replace("$group", "10g-failover")
            if not api(base, "/api/v1/query", query=expr)["result"]:
                empty.append(f"{p['title']}: {expr}")
    assert empty == []
    for v in dashboard["templating"]["list"]:
        if v["type"] == "query":
            selector = v["query"][len("label_values(") : v["query"].rindex(",")].replace(
                "$instance", instance
            )
            assert api(base, "/api/v1/series", **{"match[]": selector})


def test_overview_picture_is_drawn_from_prometheus(stack):
    base, instance = stack
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
    PICTURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PICTURE, dpi=90, metadata={"Software": None})
    plt.close(fig)
    assert PICTURE.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert grid[groups.index("10g-failover")][checks.index(("IPMP005", "module-order"))] == colour["finding"]
    assert usable and all(float(v) == 2 for s in usable for _, v in s["values"])
