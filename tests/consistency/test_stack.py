"""Consistency of the deployable stack (template.yaml) with the API contract, the Cargo workspace
and openapi.yaml. Offline: run `.tools/venv/bin/pytest -q tests/consistency` from the repo root.

Routes are discovered from each source (template events, Cargo router, openapi paths) and
compared, so adding an endpoint means adding it in all three places, and nothing else here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from .conftest import ref_target

# The contract's tiers: (quota per month, rate limit per second). Exact on purpose.
EXPECTED_PLANS = {
    "free": (750, 2),
    "starter": (20_000, 6),
    "pro": (95_000, 18),
    "business": (500_000, 45),
}

# Gateway response type -> (HTTP status or None to keep API Gateway's own, error.code, extra headers).
EXPECTED_GATEWAY_RESPONSES = {
    "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found", {}),
    "INVALID_API_KEY": ("403", "invalid_api_key", {}),
    "ACCESS_DENIED": ("403", "forbidden", {}),
    "THROTTLED": ("429", "throttled", {"Retry-After": "1"}),
    "QUOTA_EXCEEDED": ("429", "quota_exceeded", {}),
    "DEFAULT_4XX": (None, "gateway_error", {}),
    "DEFAULT_5XX": ("502", "gateway_error", {}),
    "INTEGRATION_TIMEOUT": ("504", "upstream_timeout", {}),
    "INTEGRATION_FAILURE": ("502", "gateway_error", {}),
}

API_GATEWAY_MAX_INTEGRATION_TIMEOUT_S = 29

SSM_READ_ACTIONS = {"ssm:GetParametersByPath", "ssm:GetParameter", "ssm:GetParameters"}
LOG_WRITE_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
SSM_PATH_ARNS = [
    {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/smartmoney-api/${Stage}"},
    {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/smartmoney-api/${Stage}/*"},
]


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _sub_string(value) -> str:
    """The literal string of a plain string or a single-argument !Sub."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        return value["Fn::Sub"]
    raise AssertionError(f"expected a string or a one-argument !Sub, got {value!r}")


# --------------------------------------------------------------------------- usage plans


def _usage_plans(resources) -> dict:
    """tier (from the plan's `tier` tag, else its name's last word) -> Properties."""
    plans = {}
    for logical_id, res in resources.items():
        if res["Type"] != "AWS::ApiGateway::UsagePlan":
            continue
        props = res["Properties"]
        tags = {t["Key"]: t["Value"] for t in props.get("Tags", [])}
        tier = tags.get("tier") or _sub_string(props.get("UsagePlanName", logical_id)).rsplit("-", 1)[-1]
        assert tier.lower() not in plans, f"two usage plans for tier {tier}"
        plans[tier.lower()] = props
    return plans


def test_exactly_the_four_contract_plans_exist(resources):
    assert set(_usage_plans(resources)) == set(EXPECTED_PLANS)


@pytest.mark.parametrize("tier", sorted(EXPECTED_PLANS))
def test_plan_quota_and_rate_match_the_contract(resources, tier):
    props = _usage_plans(resources)[tier]
    quota, rate = EXPECTED_PLANS[tier]
    assert props["Quota"]["Limit"] == quota
    assert props["Quota"]["Period"] == "MONTH"
    assert props["Quota"].get("Offset", 0) == 0
    assert props["Throttle"]["RateLimit"] == rate
    burst = props["Throttle"]["BurstLimit"]
    assert isinstance(burst, int) and burst >= rate, "burst must be at least the rate"
    # Documented rule (docs/DEPLOY.md): room for one client firing all four endpoints at once.
    assert burst >= 4


@pytest.mark.parametrize("tier", sorted(EXPECTED_PLANS))
def test_plan_is_attached_to_the_api_stage(resources, apis, tier):
    stages = _usage_plans(resources)[tier]["ApiStages"]
    assert len(stages) == 1
    (stage,) = stages
    api_id = ref_target(stage["ApiId"])
    assert api_id in apis
    # SAM's documented reference to the stage it generates (adds the dependency too).
    assert stage["Stage"] == {"Ref": f"{api_id}.Stage"}


# --------------------------------------------------------------------------- API and routes


def test_every_api_is_rest_without_sams_extra_stage(apis):
    assert apis, "no AWS::Serverless::Api in template.yaml"
    for logical_id, props in apis.items():
        assert props.get("StageName") == {"Ref": "Stage"}, logical_id
        # Any explicit OpenApiVersion stops SAM from creating the legacy stage named "Stage".
        assert props.get("OpenApiVersion"), f"{logical_id}: set OpenApiVersion to avoid the extra 'Stage' stage"


# Every route is a GET, except the MCP endpoint: JSON-RPC over Streamable HTTP is a POST.
POST_ROUTES = {"/v1/mcp"}


def test_every_event_is_a_get_on_a_key_protected_rest_api(api_events, apis):
    assert api_events, "no function has an event"
    for ev in api_events:
        where = f"{ev['function']}.{ev['event']}"
        assert ev["type"] == "Api", f"{where}: only REST (Type: Api) events can carry usage plans"
        props = ev["properties"]
        method = "post" if props.get("Path") in POST_ROUTES else "get"
        assert str(props.get("Method", "")).lower() == method, where
        assert str(props.get("Path", "")).startswith("/v1/"), where
        api_id = ref_target(props.get("RestApiId"))
        assert api_id in apis, f"{where}: RestApiId must reference the template's Api, not SAM's implicit one"
        api_required = (apis[api_id].get("Auth") or {}).get("ApiKeyRequired") is True
        event_auth = props.get("Auth") or {}
        event_required = event_auth.get("ApiKeyRequired", api_required)
        assert event_required is True, f"{where}: x-api-key must be required"


def test_the_only_scheduled_event_is_the_wallets_sweep_as_in_events(repo_root, functions):
    """Every minute, WalletsFunction is invoked with events/wallets-sweep.json (a REST event of
    /v1/wallets the handler answers like a call): the fills sweep advances without callers."""
    scheduled = [(fn, name, ev["Properties"]) for fn, props in functions.items()
                 for name, ev in (props.get("Events") or {}).items() if ev.get("Type") == "Schedule"]
    assert [(fn, name) for fn, name, _ in scheduled] == [("WalletsFunction", "Sweep")]
    props = scheduled[0][2]
    assert props["Schedule"] == "rate(1 minute)"
    sent = json.loads(props["Input"])
    assert sent == json.loads((repo_root / "events/wallets-sweep.json").read_text())
    assert sent["path"] == "/v1/wallets" and sent["httpMethod"] == "GET"


def test_routes_are_unique(api_events):
    routes = [ev["properties"]["Path"] for ev in api_events]
    assert len(routes) == len(set(routes)), routes


def _template_routes(api_events) -> dict:
    return {ev["properties"]["Path"]: ev["binary"] for ev in api_events}


def test_template_routes_equal_cargo_router(api_events, cargo_router):
    assert set(_template_routes(api_events)) == set(cargo_router)


def test_each_route_runs_the_same_binary_in_template_and_cargo_router(api_events, cargo_router):
    assert _template_routes(api_events) == cargo_router


def _openapi_routes(repo_root: Path) -> set[str]:
    path = repo_root / "openapi.yaml"
    assert path.exists(), "openapi.yaml is missing (written by another helper)"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    # A server URL may carry a base path (e.g. .../prod or .../v1); routes are compared from /v1.
    base = ""
    for server in doc.get("servers") or []:
        m = re.search(r"(/v1)/?$", server.get("url", ""))
        if m:
            base = m.group(1)
            break
    routes = set()
    for p, item in (doc.get("paths") or {}).items():
        full = p if p.startswith("/v1/") else base + p
        method = "post" if full in POST_ROUTES else "get"
        assert method in item, f"openapi.yaml: {p} has no {method.upper()} operation"
        routes.add(full)
    return routes


def test_openapi_paths_equal_template_routes(repo_root, api_events):
    assert _openapi_routes(repo_root) == set(_template_routes(api_events))


def test_every_json_example_is_valid_against_its_response_schema(repo_root):
    """An example a client copies must be an answer the schema accepts (the served answers are
    checked against the same schemas by the e2e tests)."""
    from jsonschema import Draft202012Validator

    document = yaml.safe_load((repo_root / "openapi.yaml").read_text())

    def deref(node):
        while isinstance(node, dict) and "$ref" in node:
            target = document
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            node = target
        return node

    checked, failures = 0, []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in (operation.get("responses") or {}).items():
                media = (deref(response).get("content") or {}).get("application/json")
                if not media or "schema" not in media:
                    continue
                validator = Draft202012Validator({**media["schema"], "components": document["components"]})
                for name, example in (media.get("examples") or {}).items():
                    checked += 1
                    for error in validator.iter_errors(deref(example)["value"]):
                        failures.append(f"{method.upper()} {path} {status} {name}: {list(error.absolute_path)} "
                                        f"{error.message[:200]}")
    assert checked > 100, checked
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------- functions


def test_every_function_binary_is_a_workspace_member(repo_root, template, functions, cargo_workspace):
    members = set(cargo_workspace["workspace"]["members"])
    for logical_id in functions:
        metadata = template["Resources"][logical_id].get("Metadata") or {}
        assert metadata.get("BuildMethod") == "rust-cargolambda", logical_id
        binary = (metadata.get("BuildProperties") or {}).get("Binary")
        assert binary, f"{logical_id}: Metadata.BuildProperties.Binary names the cargo-lambda binary"
        member = f"functions/{binary}"
        assert member in members, f"{logical_id}: {member} is not a workspace member"
        manifest = repo_root / member / "Cargo.toml"
        assert manifest.exists(), manifest
        with manifest.open("rb") as fh:
            package = tomllib.load(fh)
        assert package["package"]["name"] == binary, f"{manifest}: package name != {binary}"
        bins = {b.get("name") for b in package.get("bin", [])}
        assert not bins or binary in bins, f"{manifest}: no [[bin]] named {binary}"


def test_every_function_builds_from_the_workspace_root(functions):
    for logical_id, props in functions.items():
        assert props.get("CodeUri") in (".", "./"), f"{logical_id}: CodeUri must be the workspace root"


def test_every_function_runtime_shape(functions):
    assert functions
    for logical_id, props in functions.items():
        assert props.get("Runtime") == "provided.al2023", logical_id
        assert props.get("Architectures") == ["arm64"], logical_id
        assert props.get("Handler") == "bootstrap", logical_id
        assert props.get("PackageType", "Zip") == "Zip", logical_id


def test_every_function_times_out_before_api_gateway(functions):
    for logical_id, props in functions.items():
        timeout = props.get("Timeout", 3)
        assert isinstance(timeout, int) and 0 < timeout < API_GATEWAY_MAX_INTEGRATION_TIMEOUT_S, logical_id


def test_every_function_has_the_config_environment(functions):
    for logical_id, props in functions.items():
        variables = (props.get("Environment") or {}).get("Variables") or {}
        for name in ("BINANCE_BASE_URL", "DIVERGENCE_THRESHOLD_PP", "CONFIG_SSM_PATH"):
            assert name in variables, f"{logical_id}: missing {name}"
        assert _sub_string(variables["CONFIG_SSM_PATH"]) == "/smartmoney-api/${Stage}/", logical_id


def test_every_function_logs_json_to_its_own_log_group_with_retention(functions, resources):
    seen = set()
    for logical_id, props in functions.items():
        logging = props.get("LoggingConfig") or {}
        assert logging.get("LogFormat") == "JSON", logical_id
        group_id = ref_target(logging.get("LogGroup"))
        assert group_id in resources and resources[group_id]["Type"] == "AWS::Logs::LogGroup", logical_id
        assert group_id not in seen, f"{logical_id} shares log group {group_id}"
        seen.add(group_id)
        group = resources[group_id]["Properties"]
        assert group.get("RetentionInDays"), f"{group_id}: no retention"
        assert "FunctionName" in props, f"{logical_id}: name it so its log group name is known"
        assert _sub_string(group["LogGroupName"]) == "/aws/lambda/" + _sub_string(props["FunctionName"])


# --------------------------------------------------------------------------- IAM


def test_functions_use_their_own_least_privilege_role(functions, resources):
    roles_seen = set()
    for logical_id, props in functions.items():
        # SAM's Policies would add AWSLambdaBasicExecutionRole (logs on *); an explicit Role avoids it.
        assert "Policies" not in props, f"{logical_id}: use the explicit Role, not SAM Policies"
        role_id = ref_target(props.get("Role"))
        assert role_id in resources and resources[role_id]["Type"] == "AWS::IAM::Role", logical_id
        assert role_id not in roles_seen, f"{logical_id} shares role {role_id}"
        roles_seen.add(role_id)
        role = resources[role_id]["Properties"]
        assert not role.get("ManagedPolicyArns"), f"{role_id}: no managed policies"
        own_log_group = ref_target(props["LoggingConfig"]["LogGroup"])

        granted_ssm = False
        for policy in role.get("Policies", []):
            for stmt in _as_list(policy["PolicyDocument"]["Statement"]):
                assert stmt["Effect"] == "Allow", role_id
                assert "NotAction" not in stmt and "NotResource" not in stmt, role_id
                actions = set(_as_list(stmt["Action"]))
                res = _as_list(stmt["Resource"])
                if actions <= LOG_WRITE_ACTIONS:
                    assert res == [{"Fn::GetAtt": [own_log_group, "Arn"]}], f"{role_id}: logs only to {own_log_group}"
                elif actions <= SSM_READ_ACTIONS:
                    assert sorted(map(json.dumps, res)) == sorted(map(json.dumps, SSM_PATH_ARNS)), role_id
                    granted_ssm = True
                else:
                    pytest.fail(f"{role_id}: unexpected actions {sorted(actions)}")
        assert granted_ssm, f"{role_id}: the function reads its config from SSM"


def test_no_other_iam_is_attached(resources):
    for logical_id, res in resources.items():
        assert res["Type"] not in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::User"}, logical_id


def test_ssm_parameters_live_under_the_config_path(resources):
    for logical_id, res in resources.items():
        if res["Type"] == "AWS::SSM::Parameter":
            assert _sub_string(res["Properties"]["Name"]).startswith("/smartmoney-api/${Stage}/"), logical_id


# --------------------------------------------------------------------------- gateway responses


def _gateway_responses(resources, apis) -> dict:
    """type -> {"status": str|None, "headers": {name: literal}, "templates": {mime: str}} from both the
    Api's GatewayResponses property and standalone AWS::ApiGateway::GatewayResponse resources."""
    found = {}

    def literal(v: str) -> str:
        assert v.startswith("'") and v.endswith("'"), f"header value must be a quoted literal: {v!r}"
        return v[1:-1]

    for props in apis.values():
        for rtype, r in (props.get("GatewayResponses") or {}).items():
            headers = ((r.get("ResponseParameters") or {}).get("Headers")) or {}
            found[rtype] = {
                "status": str(r["StatusCode"]) if "StatusCode" in r else None,
                "headers": {k: literal(v) for k, v in headers.items()},
                "templates": r.get("ResponseTemplates") or {},
            }
    for res in resources.values():
        if res["Type"] == "AWS::ApiGateway::GatewayResponse":
            p = res["Properties"]
            params = p.get("ResponseParameters") or {}
            found[p["ResponseType"]] = {
                "status": str(p["StatusCode"]) if "StatusCode" in p else None,
                "headers": {
                    k.removeprefix("gatewayresponse.header."): literal(v)
                    for k, v in params.items()
                    if k.startswith("gatewayresponse.header.")
                },
                "templates": p.get("ResponseTemplates") or {},
            }
    return found


def _render(template_text: str) -> str:
    """What API Gateway does to a gateway-response template: substitute $context variables only."""
    samples = {
        "$context.error.messageString": '"Forbidden"',  # already a quoted JSON string
        "$context.requestTimeEpoch": "1781260527594",
        "$context.requestTime": "12/Jun/2026:10:35:27 +0000",
        "$context.requestId": "c0ffee00-1234-4abc-9def-000000000000",
    }
    return re.sub(
        r"\$context\.[A-Za-z0-9_.]*[A-Za-z0-9_]",
        lambda m: samples.get(m.group(0), "sample"),
        template_text,
    )


@pytest.mark.parametrize("rtype", sorted(EXPECTED_GATEWAY_RESPONSES))
def test_gateway_response_uses_the_error_envelope(resources, apis, rtype):
    responses = _gateway_responses(resources, apis)
    assert rtype in responses, f"no gateway response for {rtype}"
    status, code, extra_headers = EXPECTED_GATEWAY_RESPONSES[rtype]
    r = responses[rtype]
    assert r["status"] == status
    assert r["headers"].get("Content-Type") == "application/json"
    for name, value in extra_headers.items():
        assert r["headers"].get(name) == value, f"{rtype}: header {name}"
    assert set(r["templates"]) == {"application/json"}
    raw = r["templates"]["application/json"]
    assert "$context.requestId" in raw
    body = json.loads(_render(raw))
    assert body["data"] is None
    assert body["status"] == "error"
    assert body["success"] is False
    assert isinstance(body["message"], str) and body["message"]
    assert body["error"]["code"] == code
    assert set(body["meta"]) == {"timestamp", "request_id"}
    assert body["meta"]["request_id"] == "c0ffee00-1234-4abc-9def-000000000000"


@pytest.mark.parametrize("rtype", sorted(EXPECTED_GATEWAY_RESPONSES))
def test_gateway_response_matches_openapi_gateway_error_schema(repo_root, resources, apis, rtype):
    jsonschema = pytest.importorskip("jsonschema")
    path = repo_root / "openapi.yaml"
    assert path.exists(), "openapi.yaml is missing (written by another helper)"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    schemas = (doc.get("components") or {}).get("schemas") or {}
    if "GatewayErrorEnvelope" not in schemas:
        pytest.skip("openapi.yaml names no components.schemas.GatewayErrorEnvelope to check against")
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/GatewayErrorEnvelope", "components": doc["components"]}
    )
    raw = _gateway_responses(resources, apis)[rtype]["templates"]["application/json"]
    body = json.loads(_render(raw))
    errors = [e.message for e in validator.iter_errors(body)]
    assert not errors, errors


# --------------------------------------------------------------------------- outputs


def test_outputs_name_the_url_the_plans_and_the_config_path(template):
    outputs = template.get("Outputs") or {}
    for name in ("ApiUrl", "FreePlanId", "StarterPlanId", "ProPlanId", "BusinessPlanId", "ConfigSsmPath"):
        assert name in outputs, name
    url = _sub_string(outputs["ApiUrl"]["Value"])
    assert url == "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}"


# --------------------------------------------------------------------------- external validators


def _tool(repo_root: Path, name: str) -> str | None:
    local = repo_root / ".tools" / "venv" / "bin" / name
    if local.exists():
        return str(local)
    return shutil.which(name)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _require_tool(repo_root: Path, name: str) -> str:
    path = _tool(repo_root, name)
    if path is None:
        if _in_ci():
            pytest.fail(f"{name} not found in .tools/venv/bin or PATH, and CI is set")
        pytest.skip(f"{name} not found in .tools/venv/bin or PATH (install the project's tools; fails under CI)")
    return path


def _offline_env() -> dict:
    # The validators never call AWS here, but botocore wants a region and sam wants credentials to
    # exist; dummy ones make sure nothing real is picked up either.
    env = dict(os.environ)
    env.update(
        AWS_DEFAULT_REGION="ap-northeast-1",
        AWS_REGION="ap-northeast-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        SAM_CLI_TELEMETRY="0",
    )
    env.pop("AWS_PROFILE", None)
    return env


def test_cfn_lint_passes(repo_root):
    cfn_lint = _require_tool(repo_root, "cfn-lint")
    proc = subprocess.run(
        [cfn_lint, "template.yaml"], cwd=repo_root, env=_offline_env(), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sam_validate_lint_passes(repo_root):
    sam = _require_tool(repo_root, "sam")
    proc = subprocess.run(
        [sam, "validate", "--lint", "--region", "ap-northeast-1", "--template-file", "template.yaml"],
        cwd=repo_root,
        env=_offline_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
