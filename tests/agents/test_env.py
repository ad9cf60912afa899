from __future__ import annotations

import json

import pytest

from agents.env import MAX_K, BrowseEnv, ToolError, parse_arguments
from tests.agents.conftest import url


def test_search_ranks_pages_of_the_run(mini_run):
    with BrowseEnv(mini_run) as env:
        hits = env.search("Beta glass pop band", k=3)
    assert hits[0]["url"] == url("Beta")
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    assert all(h["url"] != url("Gone") for h in hits)


def test_visit_returns_markdown_with_facts_text_and_numbered_links(mini_run):
    with BrowseEnv(mini_run) as env:
        v = env.visit(url("Beta"))
    assert v["title"] == "Beta"
    assert "- Singer: Gamma" in v["content"]
    assert "glass pop band from Kestrel Bay" in v["content"]
    assert v["links"] == [{"n": 1, "url": url("Gamma"), "text": "Gamma"},
                          {"n": 2, "url": url("Alpha"), "text": "Alpha"}]
    assert f"[1] Gamma ({url('Gamma')})" in v["content"]
    assert v["truncated"] is False


def test_visit_follows_redirects_and_reports_missing_pages(mini_run):
    with BrowseEnv(mini_run) as env:
        assert env.visit(url("Old_Alpha"))["url"] == url("Alpha")
        assert env.visit(url("Gone")) == {"url": url("Gone"), "error": "not_found"}
        assert env.visit("http://127.0.0.1:9/nowhere") == {"url": "http://127.0.0.1:9/nowhere", "error": "not_found"}


def test_visit_truncates_the_main_text_but_keeps_facts_and_links(mini_run):
    with BrowseEnv(mini_run, max_chars=60) as env:
        v = env.visit(url("Gamma"))
    assert v["truncated"] is True
    assert "Filler sentence. " * 10 not in v["content"]
    assert "- Born: 8 August 1971" in v["content"] and "[1] Beta" in v["content"]


def test_tool_schemas_are_openai_function_tools():
    tools = BrowseEnv.tool_schemas()
    assert [t["type"] for t in tools] == ["function", "function"]
    assert [t["function"]["name"] for t in tools] == ["search", "visit"]
    assert tools[0]["function"]["parameters"]["required"] == ["query"]
    assert tools[1]["function"]["parameters"]["required"] == ["url"]


def test_call_dispatches_json_arguments_and_returns_errors_as_results(mini_run):
    with BrowseEnv(mini_run) as env:
        res = json.loads(env.call("search", json.dumps({"query": "Gamma singer pianist", "k": 2})))
        assert len(res["results"]) == 2 and res["results"][0]["url"] == url("Gamma")
        assert json.loads(env.call("visit", {"url": url("Lone")}))["title"] == "Lone"
        assert json.loads(env.call("browse", "{}")) == {"error": "unknown tool 'browse' (tools: search, visit)"}
        assert "not JSON" in json.loads(env.call("visit", "{url"))["error"]


@pytest.mark.parametrize(("name", "args", "msg"), [
    ("search", {}, "non-empty string 'query'"),
    ("search", {"query": "x", "k": 0}, "from 1 to"),
    ("search", {"query": "x", "k": MAX_K + 1}, "from 1 to"),
    ("search", {"query": "x", "n": 2}, "unknown argument"),
    ("visit", {"url": 3}, "non-empty string 'url'"),
])
def test_bad_arguments_are_tool_errors(name, args, msg):
    with pytest.raises(ToolError, match=msg):
        parse_arguments(name, args)


def test_store_is_rebuilt_when_the_pages_change(mini_run):
    from tests.agents.conftest import PAGES, page, write_pages

    with BrowseEnv(mini_run) as env:
        assert env.visit(url("Delta")).get("error") == "not_found"
    import shutil

    shutil.rmtree(mini_run / "pages")
    write_pages(mini_run, [*PAGES, page("Delta", "Delta is new.")])
    with BrowseEnv(mini_run) as env:
        assert env.visit(url("Delta"))["title"] == "Delta"
        assert env.search("Delta new", 1)[0]["url"] == url("Delta")


def test_a_run_without_pages_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no pages"):
        BrowseEnv(tmp_path)
