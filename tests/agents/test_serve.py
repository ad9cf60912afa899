from __future__ import annotations

import json

import httpx
import pytest

from agents.env import BrowseEnv
from agents.serve import HTTPTools, serve_in_thread
from tests.agents.conftest import url


@pytest.fixture
def served(mini_run):
    with serve_in_thread(mini_run, token="s3cret") as base:
        yield base


def _client(base, token="s3cret"):
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"} if token else {})


def test_search_and_visit_over_http_match_the_env(served, mini_run):
    assert served.startswith("http://127.0.0.1:")
    with _client(served) as c, BrowseEnv(mini_run) as env:
        r = c.post("/search", json={"query": "glass pop band", "k": 3})
        assert r.status_code == 200 and r.json() == {"results": env.search("glass pop band", 3)}
        assert c.get("/search", params={"query": "glass pop band", "k": 3}).json() == r.json()
        v = c.post("/visit", json={"url": url("Beta")})
        assert v.status_code == 200 and v.json() == env.visit(url("Beta"))
        missing = c.post("/visit", json={"url": url("Gone")})
        assert missing.status_code == 404 and missing.json()["detail"]["error"] == "not_found"
        assert c.post("/search", json={"query": "x", "k": 11}).status_code == 422
        assert c.get("/tools").json() == BrowseEnv.tool_schemas()
        call = c.post("/call", json={"name": "visit", "arguments": json.dumps({"url": url("Alpha")})})
        assert call.json()["content"] == env.call("visit", {"url": url("Alpha")})


def test_bearer_token_is_required(served):
    with _client(served, token=None) as anon, _client(served, token="wrong") as bad:
        assert anon.post("/search", json={"query": "Alpha"}).status_code == 401
        assert bad.post("/visit", json={"url": url("Alpha")}).status_code == 401
        assert anon.get("/health").json()["ok"] is True


def test_openapi_names_the_search_and_visit_paths(served):
    with _client(served, token=None) as anon:
        spec = anon.get("/openapi.json").json()
    assert {"/search", "/visit", "/call", "/tools"} <= set(spec["paths"])
    assert "post" in spec["paths"]["/search"] and "post" in spec["paths"]["/visit"]


def test_http_tools_call_like_the_env(served, mini_run):
    with HTTPTools(served, token="s3cret") as tools, BrowseEnv(mini_run) as env:
        args = json.dumps({"query": "singer pianist", "k": 2})
        assert tools.call("search", args) == env.call("search", args)
        assert json.loads(tools.call("nope", "{}"))["error"].startswith("unknown tool")
