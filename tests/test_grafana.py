"""Alert rules, Grafana provisioning and the dashboard, checked with real tools."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import jsonschema
import pytest
import yaml
from daemon_harness import Daemon
from helpers import REPO, tool
from prometheus_client.parser import text_string_to_metric_families

try:
    from promql_refs import references, selectors, variable_query
except ImportError:  # promql-parser has no wheel for Python 3.9 (pyproject.toml's marker)
    references = selectors = variable_query = None  # type: ignore[assignment]

sys.path.insert(0, str(REPO / "tools"))
from alerts import DEFAULT_RUNBOOK

RULES = REPO / "grafana" / "alerts" / "ipmpd-rules.yml"
RULE_TESTS = REPO / "tests" / "rules" / "ipmpd-rules.test.yml"
DASHBOARD = REPO / "grafana" / "dashboards" / "ipmpd.json"
ALERTING = REPO / "grafana" / "provisioning" / "alerting" / "ipmpd.yaml"
SCHEMAS = REPO / "tests" / "schemas"
RUNBOOK = REPO / "docs" / "runbook.md"
# Series Prometheus itself adds to every target, and the labels it attaches.
PROMETHEUS_SERIES = {"up"}
PROMETHEUS_LABELS = {"instance", "job"}


def rules() -> list[dict]:
    return [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]


def dashboard_exprs() -> list[str]:
    d = json.loads(DASHBOARD.read_text())
    out = []
    for p in d["panels"]:
        for t in p.get("targets", []):
            out.append(t["expr"])
    return out


def test_promtool_check_rules():
    p = subprocess.run([tool("promtool"), "check", "rules", str(RULES)], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"SUCCESS: {len(rules())} rules found" in p.stdout


def test_promtool_unit_tests_cover_every_alert():
    p = subprocess.run([tool("promtool"), "test", "rules", str(RULE_TESTS)], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    tested = set(re.findall(r"alertname: (\w+)", RULE_TESTS.read_text()))
    assert tested == {r["alert"] for r in rules()}


def test_promtool_unit_tests_can_fail(tmp_path):
    (tmp_path / "alerts").mkdir()
    broken = RULES.read_text().replace('check_severity="error"', 'check_severity="eror"')
    assert broken != RULES.read_text()
    (tmp_path / "alerts" / "ipmpd-rules.yml").write_text(broken)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "t.yml").write_text(
        RULE_TESTS.read_text().replace("../../grafana/alerts/ipmpd-rules.yml", "../alerts/ipmpd-rules.yml")
    )
    p = subprocess.run(
        [tool("promtool"), "test", "rules", str(tmp_path / "tests" / "t.yml")], capture_output=True, text=True
    )
    assert p.returncode == 1 and "IpmpdPlanningRuleBroken" in p.stdout + p.stderr


def test_every_alert_has_summary_description_a_page_and_a_runbook_section():
    sections = {
        line[3:].strip().lower() for line in RUNBOOK.read_text().splitlines() if line.startswith("## ")
    }
    for r in rules():
        a = r["annotations"]
        assert a["summary"] and a["description"], r["alert"]
        base, _, anchor = a["runbook_url"].partition("#")
        assert base == DEFAULT_RUNBOOK and anchor == r["alert"].lower(), r["alert"]
        assert anchor in sections, f"docs/runbook.md has no section for {r['alert']}"
        assert a["ipmpd_page"] == "http://{{ $labels.instance }}/"
    assert {r["labels"]["severity"] for r in rules()} == {"critical", "warning", "info"}


def test_alert_labels_hold_no_free_text():
    """The finding alerts aggregate message, remediation and interfaces away,
    and bring them back in the description (a template query)."""
    for r in rules():
        if "ipmpd_finding" in r["expr"]:
            assert r["expr"].startswith("max without (message, remediation, interfaces) ("), r["alert"]
            assert "query (printf" in r["annotations"]["description"], r["alert"]


def test_the_generator_takes_the_job_runbook_page_and_data_source(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "gen_monitoring.py"),
            "--out",
            str(tmp_path),
            "--job",
            'job="solaris-ipmp"',
            "--runbook-url",
            "https://wiki.example.com/ipmpd",
            "--page-url",
            "http://fleetbox:9742/?target={{ $labels.instance }}",
            "--datasource-uid",
            "prom-main",
            "--datasource-url",
            "http://prometheus:9090",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "grafana" / "alerts" / "ipmpd-rules.yml").read_text()
    made = yaml.safe_load(text)["groups"]
    down = next(r for g in made for r in g["rules"] if r["alert"] == "IpmpdDown")
    assert down["expr"] == 'up{job="solaris-ipmp"} < 1'
    assert down["annotations"]["runbook_url"] == "https://wiki.example.com/ipmpd#ipmpddown"
    assert down["annotations"]["ipmpd_page"] == "http://fleetbox:9742/?target={{ $labels.instance }}"
    assert 'job=~"ipmpd.*"' not in text
    grafana = yaml.safe_load((tmp_path / ALERTING.relative_to(REPO)).read_text())
    uids = {q["datasourceUid"] for g in grafana["groups"] for r in g["rules"] for q in r["data"]}
    assert uids == {"prom-main", "__expr__"}
    ds = yaml.safe_load((tmp_path / "grafana/provisioning/datasources/ipmpd-prometheus.yaml").read_text())
    assert ds["datasources"][0]["uid"] == "prom-main" and ds["datasources"][0]["isDefault"] is False
    p = subprocess.run([tool("promtool"), "check", "rules", str(tmp_path / "grafana/alerts/ipmpd-rules.yml")])
    assert p.returncode == 0


def test_no_data_source_is_shipped():
    assert not (REPO / "grafana" / "provisioning" / "datasources").exists()
    text = ALERTING.read_text()
    assert "datasourceUid: ${DS_PROMETHEUS_UID}" in text


def test_generated_files_are_current():
    p = subprocess.run(
        [sys.executable, str(REPO / "tools" / "gen_monitoring.py"), "--check"], capture_output=True, text=True
    )
    assert p.returncode == 0, p.stdout + p.stderr


def test_dashboard_validates_against_grafana_schema():
    schema = json.loads((SCHEMAS / "dashboard.jsonschema.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    dashboard = json.loads(DASHBOARD.read_text())
    errors = [
        jsonschema.exceptions.best_match(e.context or [e]).message for e in validator.iter_errors(dashboard)
    ]
    assert errors == []
    broken = json.loads(DASHBOARD.read_text())
    broken["refresh"] = 30
    broken["panels"][1]["gridPos"]["w"] = "wide"
    del broken["panels"][2]["type"]
    assert len(list(validator.iter_errors(broken))) == 3
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert variables == {"DS_PROMETHEUS", "job", "instance", "group"}
    uses = json.dumps(dashboard["panels"])
    assert "${DS_PROMETHEUS}" in uses and "${instance:regex}" in uses and "${group:regex}" in uses
    # every selector of instance or job goes through the regex-escaping format
    assert not re.search(r'(instance|job|group)=~?"\$(instance|job|group)"', uses)
    assert all(p.get("description") for p in dashboard["panels"] if p["type"] != "row")
    assert dashboard["links"][0]["url"] == DEFAULT_RUNBOOK


def test_grafana_alerting_provisioning_shape():
    schema = json.loads((SCHEMAS / "alerting-provisioning.schema.json").read_text())
    data = yaml.safe_load(ALERTING.read_text())
    jsonschema.validate(data, schema)
    provisioned = {}
    for g in data["groups"]:
        for r in g["rules"]:
            assert r["condition"] in {q["refId"] for q in r["data"]}
            provisioned[r["title"]] = r
    assert set(provisioned) == {r["alert"] for r in rules()}
    for r in rules():
        g = provisioned[r["alert"]]
        assert g["labels"] == r["labels"] and g["for"] == r["for"]
        assert set(g["annotations"]) == set(r["annotations"])
        assert g["annotations"]["runbook_url"] == r["annotations"]["runbook_url"]
        text = json.dumps(g["annotations"])
        # Grafana templates have no query, and $value there is a string: use $values
        assert "query" not in text and "$value " not in text and "$value}" not in text, r["alert"]
        refs = set(re.findall(r"\$values\.(\w+)\.", text))
        assert refs <= {q["refId"] for q in g["data"]}, r["alert"]
    bad = yaml.safe_load(ALERTING.read_text())
    bad["groups"][0]["rules"][0]["execErrState"] = "Errorr"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


@pytest.fixture(scope="module")
def live_scrape(tmp_path_factory):
    """A real /metrics from ipmpd run over the demo host, once its module lists are in."""
    from helpers import copy_demo, make_fakebin

    if references is None:
        pytest.skip("promql-parser is not installed (no wheel for Python 3.9): these run on 3.10 and later")

    tmp = tmp_path_factory.mktemp("scrape")
    d = Daemon(tmp, copy_demo(tmp / "host"), make_fakebin(tmp / "bin"))
    try:
        text = d.wait_for(
            lambda t: (
                "ipmpd_finding{" in t
                and "ipmpd_check_reason{" in t
                and "\nipmpd_modlist_timestamp_seconds " in t
            )
        )
    finally:
        d.stop()
    # and what /probe adds for a [[target]] (the probe pair)
    from prometheus_client import CollectorRegistry, generate_latest

    from ipmpd.exporter import IpmpdCollector
    from ipmpd.state import Latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(IpmpdCollector(Latest, lambda: (False, 0.5)))
    text += generate_latest(registry).decode()
    names: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            names.setdefault(s.name, set()).update(s.labels)
    assert "ipmpd_probe_success" in names
    return names


def all_exprs() -> list[tuple[str, str]]:
    out = [(f"rule {r['alert']}", r["expr"]) for r in rules()]
    data = yaml.safe_load(ALERTING.read_text())
    out += [
        (f"provisioned {r['title']} {q['refId']}", q["model"]["expr"])
        for g in data["groups"]
        for r in g["rules"]
        for q in r["data"]
        if q["datasourceUid"] != "__expr__"
    ]
    out += [(f"dashboard panel {i}", e) for i, e in enumerate(dashboard_exprs())]
    d = json.loads(DASHBOARD.read_text())
    for v in d["templating"]["list"]:
        if v["type"] == "query":
            selector, label = variable_query(v["query"])
            out.append((f"variable {v['name']}", f"count by ({label}) ({selector})"))
    return out


def test_every_promql_expression_parses_and_uses_only_exported_names(live_scrape):
    exported = set(live_scrape)
    exported_labels = set().union(*live_scrape.values()) | PROMETHEUS_LABELS
    assert "ipmpd_finding" in exported and "ipmpd_check_reason" in exported
    for where, expr in all_exprs():
        names, labels = references(expr)  # raises if it does not parse
        unknown = names - exported - PROMETHEUS_SERIES
        assert not unknown, f"{where}: {sorted(unknown)} are not in ipmpd's /metrics"
        bad_labels = labels - exported_labels
        assert not bad_labels, f"{where}: labels {sorted(bad_labels)} are not exported"
        for name, matched in selectors(expr):
            if name in PROMETHEUS_SERIES:
                continue
            missing = matched - live_scrape[name] - PROMETHEUS_LABELS
            assert not missing, f"{where}: {name} has no label {sorted(missing)}"
    with pytest.raises(ValueError):
        references("sum(ipmpd_finding")


def test_reference_checker_catches_a_wrong_name(live_scrape):
    names, _ = references('ipmpd_group_sate{state="ok"} == 1')
    assert names - set(live_scrape) == {"ipmpd_group_sate"}


def test_the_readme_fleet_scrape_configs_are_valid_prometheus_configs(tmp_path):
    """The README's /probe scrape configs pass promtool, and relabelling makes
    the target the instance and the fleet box the address."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Hosts without Python") : readme.index("## What ipmpd runs")]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    static = next(b for b in blocks if b.startswith("scrape_configs:"))
    file_sd = next(b for b in blocks if "file_sd_configs" in b)
    sd_file = next(b for b in blocks if b.startswith("# /etc/prometheus/ipmpd-fleet/"))
    (tmp_path / "fleet").mkdir()
    (tmp_path / "fleet" / "a.yml").write_text(sd_file)
    config = static + file_sd.replace("ipmpd-fleet\n", "ipmpd-fleet-sd\n", 1).replace(
        "/etc/prometheus/ipmpd-fleet/", f"{tmp_path}/fleet/"
    )
    path = tmp_path / "prometheus.yml"
    path.write_text(config)
    promtool = tool("promtool")
    done = subprocess.run([promtool, "check", "config", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    for job, address in (
        ("ipmpd-fleet", "fleetbox.example.net:9742"),
        ("ipmpd-fleet-sd", "fleetbox-a.example.net:9742"),
    ):
        done = subprocess.run(
            [promtool, "check", "service-discovery", "--timeout=3s", str(path), job],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        targets = json.loads(done.stdout)
        assert [t["labels"]["instance"] for t in targets] == ["sol10-db1", "sol10-db2"]
        assert {t["labels"]["__address__"] for t in targets} == {address}
        assert {t["labels"]["__metrics_path__"] for t in targets} == {"/probe"}
