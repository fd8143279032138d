"""The venue list is written once, in shared/src/domain/venue.rs (`venues! { Variant = "id", "Name"; … }`)
and once in the registry (shared/src/upstream/registry.rs); everything else that names every venue is
checked against it here: the OpenAPI enum and pattern, the template's base-URL parameters, environment
variables and SSM parameters, and the scripts' lists (bench, cluster, serve, loadtest, smoke). A sixth venue that misses one fails this file."""

import re

import yaml

VENUE_LINE = re.compile(r'^\s*(\w+) = "([a-z]+)", "([^"]+)";$', re.M)


def declared(repo_root):
    text = (repo_root / "shared/src/domain/venue.rs").read_text()
    body = text[text.index("venues! {"):]
    return [(variant, vid, name) for variant, vid, name in VENUE_LINE.findall(body)]


def ssm_name(resource) -> str:
    name = resource["Properties"]["Name"]
    return name["Fn::Sub"] if isinstance(name, dict) else name


def ids(repo_root):
    return [vid for _, vid, _ in declared(repo_root)]


def test_venue_rs_declares_the_five_venues_in_answer_order(repo_root):
    # The one hand-written list: this pins it, every other test compares against it.
    assert ids(repo_root) == ["binance", "okx", "bybit", "gate", "bitget"]


def test_the_registry_names_an_adapter_for_every_venue_but_binance(repo_root):
    text = (repo_root / "shared/src/upstream/registry.rs").read_text()
    body = text[text.index("registry! {\n"):]
    body = body[:body.index("}")]
    listed = re.findall(r"(\w+) => (\w+)::(\w+),", body)
    expected = [(variant, vid) for variant, vid, _ in declared(repo_root) if vid != "binance"]
    assert [(variant, module) for variant, module, _ in listed] == expected
    for _, module, _ in listed:
        assert (repo_root / f"shared/src/upstream/{module}/mod.rs").is_file(), module
        assert (repo_root / f"standin/src/venues/{module}.rs").is_file(), module


def test_openapi_venue_enum_and_pattern_list_every_venue_in_order(repo_root):
    spec = yaml.safe_load((repo_root / "openapi.yaml").read_text())
    assert spec["components"]["schemas"]["VenueId"]["enum"] == ids(repo_root)
    pattern = spec["components"]["parameters"]["ExchangesVenues"]["schema"]["pattern"]
    one = "(" + "|".join(ids(repo_root)) + ")"
    assert pattern == f"^{one}( *, *{one}){{0,{len(ids(repo_root)) - 1}}}$"
    for joined in (",".join(ids(repo_root)), ids(repo_root)[-1]):
        assert re.fullmatch(pattern, joined)


def test_every_venue_s_base_url_is_configurable_in_the_template(repo_root, template, resources, functions):
    for variant, vid, name in declared(repo_root):
        parameter = f"{variant}BaseUrl"
        assert parameter in template["Parameters"], parameter
        ssm = [r for r in resources.values()
               if r["Type"] == "AWS::SSM::Parameter"
               and ssm_name(r).endswith(f"/{vid}_base_url")]
        assert len(ssm) == 1, vid
        for logical_id, props in functions.items():
            variables = (props.get("Environment") or {}).get("Variables") or {}
            assert variables.get(f"{vid.upper()}_BASE_URL") == {"Ref": parameter}, (logical_id, vid)


def test_the_scripts_lists_of_venues_are_the_declared_ones(repo_root):
    upper = tuple(vid.upper() for vid in ids(repo_root))
    for script in ("scripts/bench_lib.py", "scripts/lambda_cluster.py"):
        text = (repo_root / script).read_text()
        found = re.search(r"^VENUES = (\(.*\))$", text, re.M)
        assert found and eval(found.group(1)) == upper, script  # noqa: S307 (a tuple literal of ours)
    serve = (repo_root / "scripts/serve").read_text()
    assert f"for venue in {' '.join(upper[1:])}; do" in serve
    smoke = (repo_root / "scripts/smoke.py").read_text()
    found = re.search(r"^VENUES = (\[.*\])$", smoke, re.M)
    assert found and eval(found.group(1)) == ids(repo_root), "scripts/smoke.py"  # noqa: S307
    locust = (repo_root / "scripts/loadtest_locustfile.py").read_text()
    assert f'VENUES = "{",".join(ids(repo_root))}"' in locust


def test_hyperliquid_s_two_urls_are_configurable_like_the_venues(template, resources, functions):
    for parameter, variable, ssm in [("HyperliquidBaseUrl", "HYPERLIQUID_BASE_URL", "hyperliquid_base_url"),
                                     ("HyperliquidStatsUrl", "HYPERLIQUID_STATS_URL", "hyperliquid_stats_url")]:
        assert parameter in template["Parameters"], parameter
        assert len([r for r in resources.values() if r["Type"] == "AWS::SSM::Parameter"
                    and ssm_name(r).endswith(f"/{ssm}")]) == 1, ssm
        for logical_id, props in functions.items():
            variables = (props.get("Environment") or {}).get("Variables") or {}
            assert variables.get(variable) == {"Ref": parameter}, (logical_id, variable)
