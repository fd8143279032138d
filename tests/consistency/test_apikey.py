"""`scripts/apikey` against moto's API Gateway and CloudFormation (moto_server on loopback), with
the AWS CLI (v1 from PyPI: v2 is not on PyPI; the commands the script uses are the same) that
`scripts/tools` installs into .tools/awscli: issue a key on a tier, list, revoke, delete, and the
refusals (`usage` needs GetUsage, which moto does not implement). No AWS account, no network
beyond loopback."""
import os
import pathlib
import socket
import subprocess
import time

import boto3
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TIERS = {"free": 750, "starter": 20_000, "pro": 95_000, "business": 500_000}
STACK = "smartmoney-api"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def aws():
    moto = ROOT / ".tools" / "venv" / "bin" / "moto_server"
    cli = ROOT / ".tools" / "awscli" / "bin" / "aws"
    if not (moto.exists() and cli.exists()):
        assert not os.environ.get("CI"), "run scripts/tools (moto_server and the AWS CLI)"
        pytest.skip("moto_server or the AWS CLI missing: run scripts/tools")
    port = free_port()
    proc = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.time() < deadline, "moto did not start"
            time.sleep(0.1)
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test",
           "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "ap-northeast-1",
           "AWS_DEFAULT_REGION": "ap-northeast-1", "PATH": f"{cli.parent}:{os.environ['PATH']}"}
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                    region_name="ap-northeast-1")
    apigw = session.client("apigateway", endpoint_url=endpoint)
    # The four plans, then a stack whose outputs name them, as template.yaml's do.
    plans = {t: apigw.create_usage_plan(name=f"smartmoney-api-test-{t}", quota={"limit": q, "period": "MONTH"})["id"]
             for t, q in TIERS.items()}
    outputs = "\n".join(
        f"  {t.capitalize()}PlanId:\n    Value: {plans[t]}" for t in TIERS
    )
    template = f"""AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Marker:
    Type: AWS::CloudFormation::WaitConditionHandle
Outputs:
{outputs}
"""
    session.client("cloudformation", endpoint_url=endpoint).create_stack(StackName=STACK, TemplateBody=template)
    yield env, apigw, plans
    proc.terminate()
    proc.wait(10)


def apikey(env, *args):
    return subprocess.run([str(ROOT / "scripts" / "apikey"), *args], env=env, capture_output=True,
                          text=True, timeout=60)


def fields(stdout: str) -> dict:
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in stdout.splitlines() if ":" in line)}


def test_issue_attaches_an_enabled_tagged_key_to_the_tier_s_plan_then_list_usage_revoke_delete(aws):
    env, apigw, plans = aws
    r = apikey(env, "issue", "acme-corp", "starter")
    assert r.returncode == 0, r.stderr
    out = fields(r.stdout)
    assert (out["customer"], out["tier"], out["plan id"]) == ("acme-corp", "starter", plans["starter"])
    key = apigw.get_api_key(apiKey=out["key id"], includeValue=True)
    assert key["enabled"] is True and key["value"] == out["key"]
    assert key["tags"] == {"customer": "acme-corp", "tier": "starter", "stack": STACK}
    members = apigw.get_usage_plan_keys(usagePlanId=plans["starter"])["items"]
    assert [m["id"] for m in members] == [out["key id"]]

    listed = apikey(env, "list")
    assert listed.returncode == 0, listed.stderr
    assert out["key id"] in listed.stdout and "acme-corp" in listed.stdout

    # `usage` is not exercised: moto (5.2.5) does not implement apigateway GetUsage (it answers
    # 404), so only its plan lookup could be checked here.

    revoked = apikey(env, "revoke", out["key id"])
    assert revoked.returncode == 0, revoked.stderr
    assert apigw.get_api_key(apiKey=out["key id"])["enabled"] is False

    deleted = apikey(env, "revoke", "--delete", out["key id"])
    assert deleted.returncode == 0, deleted.stderr
    assert out["key id"] not in [k["id"] for k in apigw.get_api_keys()["items"]]


@pytest.mark.parametrize("args,says", [
    (("issue", "acme", "gold"), "tier must be one of"),
    (("issue", "bad name!", "free"), "customer must be"),
    (("issue", "acme"), "usage: issue"),
    (("frobnicate",), "unknown command"),
])
def test_bad_commands_are_refused_with_a_reason_and_create_nothing(aws, args, says):
    env, apigw, _ = aws
    before = len(apigw.get_api_keys()["items"])
    r = apikey(env, *args)
    assert r.returncode != 0
    assert says in r.stderr, r.stderr
    assert len(apigw.get_api_keys()["items"]) == before
