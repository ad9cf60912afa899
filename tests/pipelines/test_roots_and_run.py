"""Roots files and the run folder."""

from __future__ import annotations

import json

import pytest

from pipelines.counters import Counters
from pipelines.roots import RootsError, load_roots, parse_roots_text
from pipelines.run import RunDir, StageReport, build_manifest, redact, validate_run_id


def test_roots_file_with_comments_blank_and_bad_lines(tmp_path):
    f = tmp_path / "roots.txt"
    f.write_text(
        "# demo roots\n\nhttps://en.wikipedia.org/wiki/Ray_Charles\n"
        "ftp://example.org/file\nnot a url\nhttps://arxiv.org/list/cs.CL/new  # inline comment\n"
        "https://en.wikipedia.org/wiki/Ray_Charles\nhttp:///nohost\n")
    roots = load_roots(f)
    assert roots.urls == ["https://en.wikipedia.org/wiki/Ray_Charles", "https://arxiv.org/list/cs.CL/new"]
    assert [p.split(": ", 1)[0] for p in roots.problems] == [f"{f}:4", f"{f}:5", f"{f}:7", f"{f}:8"]
    assert "not an http(s) URL" in roots.problems[0]
    assert "duplicate root" in roots.problems[2]
    assert "no host" in roots.problems[3]


def test_empty_or_all_bad_roots_is_a_clear_error(tmp_path):
    f = tmp_path / "roots.txt"
    f.write_text("# nothing here\n\n")
    with pytest.raises(RootsError, match="no usable root URL"):
        load_roots(f)
    with pytest.raises(RootsError, match="not found"):
        load_roots(tmp_path / "missing.txt")
    f.write_text("gopher://x\n")
    with pytest.raises(RootsError, match=r"roots.txt:1: not an http"):
        load_roots(f)


def test_roots_as_list():
    assert load_roots(["http://127.0.0.1:8000/", "bad"]).urls == ["http://127.0.0.1:8000/"]
    assert parse_roots_text("http://a.org/#frag").urls == ["http://a.org/#frag"]


@pytest.mark.parametrize("bad", ["latest", "../x", "a/b", "/abs", "", ".", "..", "a\\b", "x" * 200, "a..b/../c"])
def test_run_ids_cannot_escape_the_output_folder(bad, tmp_path):
    with pytest.raises(ValueError):
        validate_run_id(bad)
    with pytest.raises(ValueError):
        RunDir(tmp_path, bad)


def test_run_dir_layout_markers_and_sub_escape(tmp_path):
    run = RunDir(tmp_path, "r1").create()
    assert {p.name for p in run.path.iterdir()} >= {"pages", "candidates", "drafts", "qa", "rejects", "_state"}
    assert not run.is_done("crawl")
    run.mark_done("crawl", StageReport("crawl", counters={"crawl/pages": 3}).to_dict())
    assert run.is_done("crawl") and run.stage_result("crawl")["counters"] == {"crawl/pages": 3}
    with pytest.raises(ValueError):
        run.sub("../../etc")
    scratch = run.work("mine")
    (scratch / "x").write_text("partial")
    assert list(run.work("mine").iterdir()) == []  # partial work never survives a redo


def test_manifest_redacts_secrets_and_counts_funnel(tmp_path):
    run = RunDir(tmp_path, "r2").create()
    c = Counters()
    c.inc("crawl/pages", 2)
    m = build_manifest(run, {"llm_config": {"api_key": "sk-secret", "model": "m"}}, [], c)
    text = json.dumps(m)
    assert "sk-secret" not in text and m["config"]["llm_config"]["api_key"] == "***"
    assert m["funnel"]["kept"] == 0 and m["counters"] == {"crawl/pages": 2}
    assert redact({"Authorization": "Bearer x", "nested": [{"token": "t", "access_token": "a"}]}) == {
        "Authorization": "***", "nested": [{"token": "***", "access_token": "***"}]}
    counts = {"tokens": {"write": {"prompt_tokens": 5}}, "token_budget": 100}
    assert redact(counts) == counts  # token counts are not secrets


def test_counters_scope_and_merge():
    a, b = Counters(), Counters({"filter/dropped/form/no_q": 2})
    a.inc("filter/total", 5)
    a.merge(b)
    assert a.scope("filter") == {"dropped/form/no_q": 2, "total": 5}
