"""The alarms and the dashboard in template.yaml against what the code emits.

The metrics come from the one log line per call (shared/src/edge/log.rs, CloudWatch EMF): every metric an
alarm or the dashboard names must be one the code emits, and every metric the code emits must be watched by
an alarm or shown on the dashboard. Each alarm tells the operator where the runbook says what to do."""

import json
import re

import pytest

from .test_venues import ids as venue_ids

NS = "SmartMoneyApi"


def emitted(repo_root):
    """(exact metric names, name prefixes) the log line can carry."""
    log = (repo_root / "shared/src/edge/log.rs").read_text()

    def table(name):
        body = log[log.index(f"pub const {name}"):]
        body = body[body.index("="):]
        body = body[:body.index(";")]
        return re.findall(r'\("([\w.]+)", "(\w+)"\)', body)

    names = {n for n, _ in table("CALL_METRICS")}
    # The venues and Hyperliquid (the wallet routes' upstream, metered the same way).
    meter = (repo_root / "shared/src/upstream/meter.rs").read_text()
    hyperliquid = re.search(r'pub const HYPERLIQUID_ID: &str = "([^"]+)";', meter).group(1)
    upstreams = venue_ids(repo_root) + [hyperliquid]
    names |= {f"{v}.{n}" for v in upstreams for n, _ in table("VENUE_METRICS")}
    names |= {n for n, _ in table("BUDGET_METRIC")}
    prefix = re.search(r'pub const ERROR_PREFIX: &str = "([^"]+)";', log).group(1)
    # `<venue>.<path>.PathRequests`: the paths are the venues' own; a SEARCH on the suffix shows them all.
    names.add(re.search(r'pub const PATH_METRIC: &str = "([^"]+)";', log).group(1))
    codes = re.findall(r'=> "([a-z_]+)"', (repo_root / "shared/src/domain/error.rs").read_text())
    assert "upstream_rate_limited" in codes and "invalid_parameter" in codes, codes
    names |= {prefix + c for c in codes}
    return names, prefix


def alarms(resources):
    return {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def alarm_metrics(props):
    """(namespace, metric name) every alarm reads."""
    if "MetricName" in props:
        yield props["Namespace"], props["MetricName"]
    for m in props.get("Metrics", []):
        if "MetricStat" in m:
            metric = m["MetricStat"]["Metric"]
            yield metric["Namespace"], metric["MetricName"]


def dashboard(resources):
    (body,) = [r["Properties"]["DashboardBody"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    text = body["Fn::Sub"] if isinstance(body, dict) else body
    return json.loads(re.sub(r"\$\{[^}]+\}", "X", text))


def dashboard_metrics(board):
    """Metric names of our namespace the dashboard shows: plain metric rows and SEARCH terms."""
    for widget in board["widgets"]:
        for row in widget["properties"]["metrics"]:
            if isinstance(row[0], str) and row[0] == NS:
                yield row[1]
            for item in row:
                if isinstance(item, dict) and "expression" in item:
                    expression = item["expression"]
                    # An exact name (MetricName="X") or a free-text term: CloudWatch splits metric
                    # names on '.' and '_', so `{SmartMoneyApi} Error` finds every Error.<code>.
                    yield from re.findall(r"\{" + NS + r"[^}]*\} MetricName=\"([\w.]+)\"", expression)
                    for term in re.findall(r"\{" + NS + r"\} (\w+)'", expression):
                        yield "*" + term


def test_every_metric_an_alarm_or_the_dashboard_names_is_one_the_code_emits(repo_root, resources):
    names, prefix = emitted(repo_root)
    named = {m for props in alarms(resources).values() for ns, m in alarm_metrics(props) if ns == NS}
    named |= set(dashboard_metrics(dashboard(resources)))
    assert named, "no SmartMoneyApi metric named at all"
    for m in named:
        if m.startswith("*"):
            term = m[1:]
            assert any(term in re.split(r"[._]", n) for n in names), f"the search term {term} finds no emitted metric"
        else:
            assert m in names, f"{m} is named in the template but never emitted (edge/log.rs)"


def test_every_metric_the_code_emits_is_watched_or_shown(repo_root, resources):
    names, prefix = emitted(repo_root)
    named = {m for props in alarms(resources).values() for ns, m in alarm_metrics(props) if ns == NS}
    named |= set(dashboard_metrics(dashboard(resources)))
    terms = {m[1:] for m in named if m.startswith("*")}
    for m in sorted(names):
        # The per-code errors and the per-path requests are shown by one free-text SEARCH each.
        covered = m in named or any(t in re.split(r"[._]", m) for t in terms)
        assert covered, f"{m} is emitted but no alarm or dashboard widget shows it"


def test_the_alarms_go_to_the_topic_and_point_at_their_runbook_section(repo_root, resources):
    found = alarms(resources)
    assert sorted(found) == sorted(f"{n}Alarm" for n in
                                   ["VenueRateLimited", "BudgetLow", "ServerErrors", "LambdaThrottles",
                                    "LambdaThrottlesWallets", "LambdaErrors", "LambdaErrorsWallets",
                                    "LatencyP99"])
    runbook = (repo_root / "docs/OPERATIONS.md").read_text()
    headings = {h.strip().lower() for h in re.findall(r"^## (.+)$", runbook, re.M)}
    for logical_id, props in found.items():
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical_id
        anchor = re.search(r"docs/OPERATIONS\.md#([a-z0-9-]+)", props["AlarmDescription"])
        assert anchor, f"{logical_id}: its description must point at the runbook"
        assert anchor.group(1) in headings, f"{logical_id}: no '## {anchor.group(1)}' section in docs/OPERATIONS.md"


def test_the_lambda_alarms_watch_every_function(resources, functions):
    found = alarms(resources)
    for name, metric in [("LambdaThrottles", "Throttles"), ("LambdaErrors", "Errors")]:
        # CloudWatch takes at most 10 metrics in one alarm's math: past ten functions, a second alarm
        # (`<name>WalletsAlarm`) watches the rest; together they watch every function, once.
        watched = []
        for alarm in (f"{name}Alarm", f"{name}WalletsAlarm"):
            metrics = [m for m in found[alarm]["Metrics"] if "MetricStat" in m]
            assert len(metrics) <= 10, alarm
            watched += [m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"] for m in metrics
                        if m["MetricStat"]["Metric"]["MetricName"] == metric]
        assert sorted(watched) == sorted(functions), (name, set(functions) ^ set(watched))


def test_the_email_subscription_exists_only_when_an_address_is_given(template, resources):
    subscription = resources["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""
    assert "LatencyP99ThresholdMs" in template["Parameters"]


@pytest.mark.parametrize("stat", ["p50", "p99"])
def test_the_dashboard_shows_latency_percentiles(resources, stat):
    rows = [row for w in dashboard(resources)["widgets"] for row in w["properties"]["metrics"]
            if isinstance(row[0], str) and row[1] == "Latency"]
    assert any(isinstance(r[-1], dict) and r[-1].get("stat") == stat for r in rows), rows
