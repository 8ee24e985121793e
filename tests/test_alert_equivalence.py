"""The Grafana-managed rules fire on exactly the series where the Prometheus rules fire.

No Grafana server can run here (it is not packaged in Debian), so its alert
evaluation is re-implemented from its documentation and source, on the
input series of the promtool unit tests (tests/rules/ipmpd-rules.test.yml):

- A real Prometheus answers every query: each test case's series are
  backfilled into a fresh TSDB (``promtool tsdb create-blocks-from
  openmetrics``) and queried at the case's evaluation times.  The Prometheus
  side is the rule's ``expr``; an alerting rule drops ``__name__`` from
  its labels.
- The Grafana side runs each data query as the instant query it is
  (Grafana turns a Prometheus vector into one number per series and keeps
  every label, ``__name__`` included), then the expressions:
  * threshold: ``gt lt gte lte eq ne within_range outside_range`` compare
    each number and output 1 or 0 under the same labels; NaN compares false
    (Go), no value stays no value.  Docs: "Queries and conditions",
    https://grafana.com/docs/grafana/latest/alerting/fundamentals/alert-rules/queries-conditions/
    ("Is above (x > y)", "Is within range (x > y1 AND x < y2)"); source:
    grafana/grafana pkg/expr/threshold.go.
  * math: binary operations join the two sides' series by labels (equal
    labels, or one side's labels a subset of the other's, keeping the larger
    set; unmatched series dropped; one series each with unrelated labels
    join with no labels); comparisons give 1 or 0.  Docs: "Math" in
    https://grafana.com/docs/grafana/latest/panels-visualizations/query-transform-data/expression-queries/ ;
    source: pkg/expr/mathexp/exp.go (union).
  * the condition fires for a series whose value is non-zero (NaN counts as
    non-zero); 0 is Normal and no value is NoData (the rules map NoData to
    OK).  Source: pkg/services/ngalert/eval/eval.go.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import pytest
import yaml
from helpers import REPO, free_port, tool

RULES = REPO / "grafana" / "alerts" / "ipmpd-rules.yml"
ALERTING = REPO / "grafana" / "provisioning" / "alerting" / "ipmpd.yaml"
RULE_TESTS = REPO / "tests" / "rules" / "ipmpd-rules.test.yml"

Labels = frozenset  # of (name, value) pairs
Series = list[tuple[dict[str, str], Optional[float]]]


# ------------------------------------------------------------ input series


def duration(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([smh])", text))


def expand(values: str) -> list[Optional[float]]:
    """promtool's series notation: ``a+bxn`` and ``axn`` give n+1 values,
    ``_xn`` n missing ones, ``_`` one (checked against promtool 2.42).
    ``stale`` is read as missing: OpenMetrics has no staleness marker, and
    both sides of the comparison query the same backfilled data."""
    out: list[Optional[float]] = []
    for item in values.split():
        if item == "stale":
            out.append(None)
            continue
        m = re.fullmatch(r"(_|[-+]?[\d.]+)(?:([-+][\d.]+)?x(\d+))?", item)
        assert m, f"notation not handled: {item!r}"
        first, step, times = m.group(1), m.group(2), m.group(3)
        if first == "_":
            out += [None] * (int(times) if times else 1)
        elif times is None:
            out.append(float(first))
        else:
            v, d = float(first), float(step or 0)
            for _ in range(int(times) + 1):
                out.append(v)
                v += d
    return out


def openmetrics(case: dict) -> str:
    step = duration(case.get("interval", "1m"))
    families: dict[str, list[str]] = {}
    for s in case["input_series"]:
        name = s["series"].split("{")[0]
        for i, v in enumerate(expand(s["values"])):
            if v is not None:
                families.setdefault(name, []).append(f"{s['series']} {v} {i * step}")
    lines = []
    for name, samples in families.items():
        lines.append(f"# TYPE {name} gauge")
        lines += samples
    return "\n".join(lines) + "\n# EOF\n"


@contextmanager
def prometheus_over(case: dict, tmp: Path) -> Iterator[str]:
    (tmp / "series.om").write_text(openmetrics(case))
    done = subprocess.run(
        [
            tool("promtool"),
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            str(tmp / "series.om"),
            str(tmp / "db"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (tmp / "prometheus.yml").write_text("global: {}\n")
    port = free_port()
    proc = subprocess.Popen(
        [
            tool("prometheus"),
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'db'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=100y",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "prometheus.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/-/ready", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp / "prometheus.log").read_text()
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def instant(base: str, expr: str, at: int) -> Series:
    url = f"{base}/api/v1/query?{urllib.parse.urlencode({'query': expr, 'time': str(at)})}"
    with urllib.request.urlopen(url, timeout=10) as r:
        data = json.loads(r.read())
    assert data["status"] == "success", data
    assert data["data"]["resultType"] == "vector", expr
    return [(s["metric"], float(s["value"][1])) for s in data["data"]["result"]]


# ------------------------------------------------------- Grafana semantics

THRESHOLD = {
    "gt": lambda x, p: x > p[0],
    "lt": lambda x, p: x < p[0],
    "gte": lambda x, p: x >= p[0],
    "lte": lambda x, p: x <= p[0],
    "eq": lambda x, p: x == p[0],
    "ne": lambda x, p: x != p[0],
    "within_range": lambda x, p: p[0] < x < p[1],
    "outside_range": lambda x, p: x < p[0] or x > p[1],
}


def threshold(model: dict, series: Series) -> Series:
    (cond,) = model["conditions"]
    check, params = THRESHOLD[cond["evaluator"]["type"]], cond["evaluator"]["params"]
    return [(labels, None if v is None else float(check(v, params))) for labels, v in series]


def union(a: Series, b: Series) -> list[tuple[dict[str, str], Optional[float], Optional[float]]]:
    out = []
    for la, va in a:
        for lb, vb in b:
            sa, sb = set(la.items()), set(lb.items())
            if sa == sb or not sa or not sb:
                out.append((la or lb, va, vb))
            elif len(sa) == len(sb):
                continue
            elif sa < sb:
                out.append((lb, va, vb))
            elif sb < sa:
                out.append((la, va, vb))
    if not out and len(a) == 1 and len(b) == 1:
        out.append(({}, a[0][1], b[0][1]))
    return out


def apply(op: str, x: Optional[float], y: Optional[float]) -> Optional[float]:
    if x is None or y is None:
        return None
    if op == "&&":
        return float(bool(x) and bool(y))
    if op == "||":
        return float(bool(x) or bool(y))
    if math.isnan(x) or math.isnan(y):
        return math.nan
    return float({"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y, "==": x == y, "!=": x != y}[op])


def math_expression(text: str, refs: dict[str, Series]) -> Series:
    """Grafana math over $refs, numbers, comparisons, && and ||, parentheses."""
    tokens = re.findall(r"\$\w+|\d+(?:\.\d+)?|&&|\|\||[<>]=?|[=!]=|[()]", text)
    assert "".join(tokens) == text.replace(" ", ""), f"math not handled: {text}"
    pos = 0

    def peek() -> Optional[str]:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def combine(op: str, x, y):
        if isinstance(x, float) and isinstance(y, float):
            return apply(op, x, y)
        if isinstance(y, float):
            return [(labels, apply(op, v, y)) for labels, v in x]
        if isinstance(x, float):
            return [(labels, apply(op, x, v)) for labels, v in y]
        return [(labels, apply(op, vx, vy)) for labels, vx, vy in union(x, y)]

    def atom():
        t = take()
        if t == "(":
            v = disjunction()
            assert take() == ")"
            return v
        if t.startswith("$"):
            return refs[t[1:]]
        return float(t)

    def chain(operand, ops: tuple[str, ...]):
        v = operand()
        while peek() in ops:
            op = take()
            v = combine(op, v, operand())
        return v

    def comparison():
        return chain(atom, ("<", ">", "<=", ">=", "==", "!="))

    def conjunction():
        return chain(comparison, ("&&",))

    def disjunction():
        return chain(conjunction, ("||",))

    result = disjunction()
    assert pos == len(tokens), text
    assert not isinstance(result, float), "a condition must be per series"
    return result


def grafana_fires(rule: dict, query) -> set[Labels]:
    """The label sets of the alert instances a Grafana-managed rule puts in Alerting."""
    results: dict[str, Series] = {}
    for node in rule["data"]:
        model = node["model"]
        if node["datasourceUid"] != "__expr__":
            assert model.get("instant") is True, f"{rule['title']} {node['refId']}: only instant queries"
            results[node["refId"]] = query(model["expr"])
        elif model["type"] == "threshold":
            results[node["refId"]] = threshold(model, results[model["expression"]])
        elif model["type"] == "math":
            results[node["refId"]] = math_expression(model["expression"], results)
        else:
            raise AssertionError(f"{rule['title']}: expression type {model['type']} is not modelled")
    condition = results[rule["condition"]]
    keys = [frozenset(labels.items()) for labels, _ in condition]
    assert len(keys) == len(set(keys)), f"{rule['title']}: duplicate label sets make Grafana fail"
    return {frozenset(labels.items()) for labels, v in condition if v is not None and v != 0}


def prometheus_fires(rule: dict, query) -> set[Labels]:
    return {
        frozenset((k, v) for k, v in labels.items() if k != "__name__") for labels, _ in query(rule["expr"])
    }


def eval_times(case: dict) -> list[int]:
    """Every evaluation time the promtool case checks, and each minute up to the last."""
    times = {duration(t["eval_time"]) for t in case.get("alert_rule_test", [])}
    return sorted(times | set(range(0, max(times) + 1, 60)))


def compare(
    case: dict, tmp: Path, grafana_rules: dict[str, dict], prom_rules: dict[str, dict]
) -> tuple[list[str], set[str]]:
    """(where the two sides disagree, the alerts Prometheus fired somewhere in the case)."""
    out = []
    fired: set[str] = set()
    with prometheus_over(case, tmp) as base:
        for at in eval_times(case):

            def query(expr: str, at: int = at) -> Series:
                return instant(base, expr, at)

            for name, prom in prom_rules.items():
                want = prometheus_fires(prom, query)
                if want:
                    fired.add(name)
                got = grafana_fires(grafana_rules[name], query)
                if want != got:
                    out.append(
                        f"{case['name']} at {at}s: {name}: Prometheus fires on {sorted(map(sorted, want))}, "
                        f"Grafana on {sorted(map(sorted, got))}"
                    )
    return out, fired


def disagreements(
    case: dict, tmp: Path, grafana_rules: dict[str, dict], prom_rules: dict[str, dict]
) -> list[str]:
    return compare(case, tmp, grafana_rules, prom_rules)[0]


def loaded() -> tuple[dict[str, dict], dict[str, dict]]:
    grafana = {r["title"]: r for g in yaml.safe_load(ALERTING.read_text())["groups"] for r in g["rules"]}
    prom = {r["alert"]: r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]}
    assert set(grafana) == set(prom)
    return grafana, prom


CASES = yaml.safe_load(RULE_TESTS.read_text())["tests"]


def test_the_series_notation_is_read_as_promtool_reads_it():
    assert expand("0+60x2 120x2") == [0, 60, 120, 120, 120, 120]
    assert expand("_x3 1") == [None, None, None, 1]
    assert expand("1 0 _ stale") == [1, 0, None, None]


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> dict[str, tuple[list[str], set[str]]]:
    """The shipped rules compared on every case, one Prometheus per case."""
    grafana, prom = loaded()
    return {c["name"]: compare(c, tmp_path_factory.mktemp("case"), grafana, prom) for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_grafana_rules_fire_where_prometheus_rules_fire(case, shipped):
    grafana, prom = loaded()
    for name in prom:
        assert grafana[name]["for"] == prom[name]["for"], name
        assert grafana[name]["labels"] == prom[name]["labels"], name
    assert shipped[case["name"]][0] == []


def test_every_alert_fires_somewhere_in_the_cases(shipped):
    """Agreement on silence alone would prove little: each alert fires in at least one case."""
    _, prom = loaded()
    assert set().union(*(fired for _, fired in shipped.values())) == set(prom)


def test_a_broken_condition_is_caught(tmp_path):
    """What the generator once produced for IpmpdDown: `up` with a
    threshold `gt 0`, which can never fire on up == 0."""
    grafana, prom = loaded()
    broken = json.loads(json.dumps(grafana["IpmpdDown"]))
    cond = next(n for n in broken["data"] if n["refId"] == "C")["model"]
    cond["conditions"] = [{"evaluator": {"type": "gt", "params": [0]}}]
    case = next(c for c in CASES if c["name"].startswith("ipmpd not answering"))
    found = disagreements(case, tmp_path, {**grafana, "IpmpdDown": broken}, {"IpmpdDown": prom["IpmpdDown"]})
    assert found and all("IpmpdDown" in f for f in found)
    # a math condition that forgets "and at least one usable" fires beside IpmpdGroupFailed
    lost = json.loads(json.dumps(grafana["IpmpdGroupRedundancyLost"]))
    node = next(n for n in lost["data"] if n["refId"] == "C")["model"]
    assert node["expression"] == "$A < $B && $A > 0"
    node["expression"] = "$A < $B"
    case = next(c for c in CASES if c["name"].startswith("no usable member"))
    (tmp_path / "lost").mkdir()
    found = disagreements(
        case,
        tmp_path / "lost",
        {"IpmpdGroupRedundancyLost": lost},
        {"IpmpdGroupRedundancyLost": prom["IpmpdGroupRedundancyLost"]},
    )
    assert found and all("IpmpdGroupRedundancyLost" in f for f in found)
    case = next(c for c in CASES if c["name"].startswith("ipmpd not answering"))
    # and a query that keeps __name__ gives Grafana alert labels Prometheus never has
    named = json.loads(json.dumps(grafana["IpmpdDown"]))
    named["data"][0]["model"]["expr"] = 'up{job=~"ipmpd.*"}'
    (tmp_path / "named").mkdir()
    found = disagreements(case, tmp_path / "named", {"IpmpdDown": named}, {"IpmpdDown": prom["IpmpdDown"]})
    assert found and "__name__" in found[0]
