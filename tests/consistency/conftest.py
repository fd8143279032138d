"""Shared loaders for the stack consistency tests: template.yaml, the Cargo workspace, openapi.yaml.

Everything here is offline: files are parsed, nothing is deployed.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short tags into their long (JSON) form.

    `!Ref X` -> {"Ref": "X"}; `!GetAtt A.B` -> {"Fn::GetAtt": ["A", "B"]}; any other `!Foo v` ->
    {"Fn::Foo": v}. So a test compares the same structure whichever form the template uses.
    """


def _construct_cfn_tag(loader: CfnLoader, tag_suffix: str, node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        return {"Fn::GetAtt": value.split(".", 1)}
    return {f"Fn::{tag_suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_cfn_tag)


def load_cfn_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=CfnLoader)  # noqa: S506 - SafeLoader subclass


def merge_globals(global_props: dict, props: dict) -> dict:
    """SAM's Globals rule, enough for these checks: maps merge (resource wins), lists concatenate
    (global entries first), scalars are replaced by the resource's value."""
    merged = copy.deepcopy(global_props)
    for key, value in props.items():
        if key in merged and isinstance(merged[key], dict) and isinstance(value, dict):
            merged[key] = merge_globals(merged[key], value)
        elif key in merged and isinstance(merged[key], list) and isinstance(value, list):
            merged[key] = merged[key] + value
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def ref_target(value) -> str | None:
    """Logical id named by {"Ref": id} or {"Fn::GetAtt": [id, attr]}; None otherwise."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def template() -> dict:
    return load_cfn_yaml(REPO_ROOT / "template.yaml")


@pytest.fixture(scope="session")
def resources(template) -> dict:
    return template["Resources"]


@pytest.fixture(scope="session")
def functions(template) -> dict:
    """logical id -> effective Properties (Globals.Function merged in) of every SAM function."""
    global_props = (template.get("Globals") or {}).get("Function") or {}
    return {
        logical_id: merge_globals(global_props, res.get("Properties") or {})
        for logical_id, res in template["Resources"].items()
        if res["Type"] == "AWS::Serverless::Function"
    }


@pytest.fixture(scope="session")
def apis(template) -> dict:
    """logical id -> effective Properties of every AWS::Serverless::Api."""
    global_props = (template.get("Globals") or {}).get("Api") or {}
    return {
        logical_id: merge_globals(global_props, res.get("Properties") or {})
        for logical_id, res in template["Resources"].items()
        if res["Type"] == "AWS::Serverless::Api"
    }


@pytest.fixture(scope="session")
def api_events(template, functions) -> list[dict]:
    """One record per API event of every function: logical id, binary name, event name and properties.
    (A `Schedule` event, the wallets' sweep, is not a route: `test_stack` checks it on its own.)"""
    records = []
    for logical_id, props in functions.items():
        metadata = template["Resources"][logical_id].get("Metadata") or {}
        binary = (metadata.get("BuildProperties") or {}).get("Binary")
        for event_name, event in (props.get("Events") or {}).items():
            if event.get("Type") == "Schedule":
                continue
            records.append(
                {
                    "function": logical_id,
                    "binary": binary,
                    "event": event_name,
                    "type": event.get("Type"),
                    "properties": event.get("Properties") or {},
                }
            )
    return records


@pytest.fixture(scope="session")
def cargo_workspace() -> dict:
    with (REPO_ROOT / "Cargo.toml").open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="session")
def cargo_router(cargo_workspace) -> dict:
    """route -> binary, from [workspace.metadata.lambda.watch.router]."""
    try:
        return dict(cargo_workspace["workspace"]["metadata"]["lambda"]["watch"]["router"])
    except KeyError:
        pytest.fail("Cargo.toml has no [workspace.metadata.lambda.watch.router] table")
