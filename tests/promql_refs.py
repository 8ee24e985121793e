"""Metric names and label names that a PromQL expression reads, via promql-parser."""

from __future__ import annotations

import re
from typing import Any

import promql_parser

# Grafana expands these before a query reaches Prometheus.
GRAFANA_VARIABLES = re.compile(r"\$(__rate_interval|__interval|__range)")
LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.*),\s*(?P<label>\w+)\)$")


def walk(node: Any, out: list[Any]) -> None:
    if node is None:
        return
    if hasattr(node, "matchers") and hasattr(node, "name"):
        out.append(node)
        return
    for attr in ("expr", "lhs", "rhs", "param", "vector_selector"):
        if hasattr(node, attr):
            walk(getattr(node, attr), out)
    if hasattr(node, "args"):
        for arg in node.args:
            walk(arg, out)


def references(expr: str) -> tuple[set[str], set[str]]:
    """(metric names, label names) an expression uses; raises ValueError if it does not parse."""
    expr = GRAFANA_VARIABLES.sub("5m", expr)
    ast = promql_parser.parse(expr)
    selectors: list[Any] = []
    walk(ast, selectors)
    names: set[str] = set()
    labels: set[str] = set()
    for vs in selectors:
        if vs.name:
            names.add(vs.name)
        for m in vs.matchers.matchers:
            if m.name == "__name__":
                names.add(m.value)
            else:
                labels.add(m.name)
    # grouping and on()/ignoring() label lists
    for match in re.finditer(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", expr):
        labels.update(x.strip() for x in match.group(1).split(",") if x.strip())
    return names, labels


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """Each vector selector as (metric name, the labels its matchers name)."""
    ast = promql_parser.parse(GRAFANA_VARIABLES.sub("5m", expr))
    found: list[Any] = []
    walk(ast, found)
    return [
        (vs.name, {m.name for m in vs.matchers.matchers if m.name != "__name__"}) for vs in found if vs.name
    ]


def variable_query(query: str) -> tuple[str, str]:
    """Grafana's label_values(SELECTOR, LABEL) -> (SELECTOR, LABEL)."""
    m = LABEL_VALUES.match(query.strip())
    if not m:
        raise ValueError(f"not a label_values() query: {query!r}")
    return m.group("selector"), m.group("label")
