from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from pipelines.inspect import (
    DEFAULT_PRICES,
    NA,
    SNIPPET_CHARS,
    inspect_run,
    load_prices,
    lookup_price,
    render_report,
    token_report,
)
from pipelines.run import RunDir


def _edit_manifest(run: Path, **changes) -> None:
    p = run / "manifest.json"
    m = json.loads(p.read_text())
    m.update(changes)
    p.write_text(json.dumps(m))


def test_report_funnel_counts_and_reasons(fixture_run: Path) -> None:
    r = inspect_run(fixture_run)
    assert r["run_id"] == "20260101T000000Z-fixture"
    assert r["funnel"] == {"pages_fetched": 11, "candidates": 9, "written": 8, "kept": 6, "seeds": 0, "rejects": 8}
    c = r["counts"]
    assert c["type"] == {"count": 2, "e2h": 1, "intersection": 1, "multi_hop": 1, "single_hop": 1}
    assert c["hops"] == {"1": 2, "2": 2, "3": 2}
    assert c["difficulty"] == {"1": 2, "2": 2, "3": 2}
    assert c["language"] == {"en": 5, "de": 1}
    assert c["root"]["https://en.wikipedia.org/wiki/Ray_Charles"] == 3
    assert c["source_domain"]["en.wikipedia.org"] == 5
    assert c["writer"] == {"gpt-4o-mini": 3, "template": 3}
    assert c["page_depth"] == {"0": 4, "1": 6, "2": 1}
    assert r["reject_reasons"]["crawl/http_404"] == 2
    assert set(r["reject_reasons"]) == {
        "crawl/http_404", "crawl/robots_disallowed", "mine/no_enumeration", "write/parse_error",
        "filter/answer_in_question", "dedup/near_duplicate", "e2h/verify_failed"}
    assert r["crawl"]["empty_roots"] == ["http://127.0.0.1:8765/nothing-here/"]
    assert r["crawl"]["pages_per_root"]["http://127.0.0.1:8765/nothing-here/"] == 0
    assert r["crawl"]["first_fetch"].startswith("2026-01-01T12:00:00")
    assert r["question_length"]["chars"]["n"] == 6
    assert r["timings"]["total"] == pytest.approx(8.9)
    assert r["warnings"] == []
    json.dumps(r)  # JSON-able as is (the CLI's --json)


def test_samples_one_per_type_with_evidence_and_path(fixture_run: Path) -> None:
    samples = inspect_run(fixture_run, samples=5)["samples"]
    assert [s["type"] for s in samples] == ["count", "multi_hop", "intersection", "e2h", "single_hop"]
    for s in samples:
        assert s["question"] and s["answer"] and s["evidence"]
        assert all(len(e["snippet"]) <= SNIPPET_CHARS and "\n" not in e["snippet"] for e in s["evidence"])
        assert s["golden_path"][0] == s["root_url"]
    e2h = samples[3]
    assert [step["round"] for step in e2h["lineage"]] == [1, 2]
    assert inspect_run(fixture_run, samples=2)["samples"][1]["type"] == "multi_hop"
    assert inspect_run(fixture_run, samples=0)["samples"] == []


def test_cost_from_the_price_table(fixture_run: Path) -> None:
    tok = inspect_run(fixture_run)["tokens"]
    # write: 12000 × 0.15 + 1500 × 0.60 per 1M; e2h: 8000 × 0.15 + 2000 × 0.60 per 1M
    assert tok["stages"]["write"]["cost_usd"] == pytest.approx(0.0027)
    assert tok["stages"]["e2h"]["cost_usd"] == pytest.approx(0.0024)
    assert tok["cost_usd"] == pytest.approx(0.0051)
    assert tok["total"]["calls"] == 15 and tok["total"]["cache_hits"] == 3
    assert tok["total"]["prompt_tokens"] == 20_000 and tok["total"]["completion_tokens"] == 3_500


def test_unknown_model_is_na_and_prices_can_be_overridden() -> None:
    manifest = {"config": {"llm": "openai", "llm_config": {"model": "local-qwen-7b"}},
                "tokens": {"write": {"calls": 2, "prompt_tokens": 1_000_000, "completion_tokens": 500_000}}}
    tok = token_report(manifest, {"local-qwen-7b": 2})
    assert tok["cost_usd"] == NA and tok["stages"]["write"]["cost_usd"] == NA
    assert "local-qwen-7b" in tok["note"]
    tok = token_report(manifest, {}, prices={"Local-Qwen-7B": (1.0, 2.0)})
    assert tok["cost_usd"] == pytest.approx(2.0)
    assert "gpt-4o-mini" in DEFAULT_PRICES  # overrides extend the table, they don't replace it


def test_stage_model_from_ledger_answers_else_config() -> None:
    row = {"calls": 1, "prompt_tokens": 1_000_000, "completion_tokens": 0}
    tok = token_report({"tokens": {"write": {**row, "answers": {"gpt-4o|v1": 1}}}}, {})
    assert tok["stages"]["write"]["model"] == "gpt-4o" and tok["cost_usd"] == pytest.approx(2.5)
    two = {**row, "answers": {"gpt-4o|v1": 1, "gpt-4o-mini|v1": 1}}  # ambiguous: the configured model
    tok = token_report({"config": {"llm_config": {"model": "gpt-4o-mini"}}, "tokens": {"write": two}}, {})
    assert tok["stages"]["write"]["model"] == "gpt-4o-mini" and tok["cost_usd"] == pytest.approx(0.15)
    tok = token_report({"tokens": {"write": two}}, {})  # and no configured model: no price
    assert tok["stages"]["write"]["model"] is None and tok["cost_usd"] == NA


def test_lookup_price_resolves_snapshots_and_prefixes() -> None:
    assert lookup_price("gpt-4o-mini", DEFAULT_PRICES) == (0.15, 0.60)
    assert lookup_price("gpt-4o-mini-2024-07-18", DEFAULT_PRICES) == (0.15, 0.60)
    assert lookup_price("openai/gpt-4o-2024-08-06", DEFAULT_PRICES) == (2.50, 10.00)
    assert lookup_price("gpt-4o-minimal", DEFAULT_PRICES) is None
    assert lookup_price(None, DEFAULT_PRICES) is None


def test_offline_template_writer_costs_zero() -> None:
    tok = token_report({"config": {"llm": "offline"}, "tokens": {}}, {"template": 12})
    assert tok["cost_usd"] == 0.0 and "offline" in tok["note"]
    tok = token_report({}, {"template": 3})  # no manifest at all, only template-written records
    assert tok["cost_usd"] == 0.0


def test_masked_tokens_are_reported_not_crashed_on() -> None:
    tok = token_report({"config": {"llm": "openai"}, "tokens": "***"}, {"gpt-4o-mini": 1})
    assert tok["cost_usd"] == NA and "masked" in tok["note"]


def test_without_manifest_the_shards_still_speak(fresh_run: Path) -> None:
    (fresh_run / "manifest.json").unlink()
    r = inspect_run(fresh_run)
    assert r["funnel"]["kept"] == 6 and r["counts"]["type"]["count"] == 2
    assert any("manifest" in w for w in r["warnings"])
    assert r["tokens"]["cost_usd"] == NA  # LLM-written records but no token record


def test_manifest_disagreeing_with_shards_is_a_warning(fresh_run: Path) -> None:
    m = json.loads((fresh_run / "manifest.json").read_text())
    _edit_manifest(fresh_run, funnel={**m["funnel"], "kept": 99})
    warnings = inspect_run(fresh_run)["warnings"]
    assert warnings == ["manifest funnel says kept=99 but the shards hold 6"]


def test_empty_run_folder(tmp_path: Path) -> None:
    run = RunDir(tmp_path, "empty").create()
    r = inspect_run(run.path)
    assert r["funnel"] == {"pages_fetched": 0, "candidates": 0, "written": 0, "kept": 0, "seeds": 0, "rejects": 0}
    assert r["samples"] == [] and r["counts"]["type"] == {}
    assert "no kept questions in qa/" in r["warnings"]
    console = Console(record=True, width=100)
    render_report(r, console)
    assert "funnel" in console.export_text()


def test_missing_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        inspect_run(tmp_path / "nope")


def test_render_report_shows_every_section(fixture_run: Path) -> None:
    console = Console(record=True, width=140)
    render_report(inspect_run(fixture_run), console)
    text = console.export_text()
    for needle in ("crawlqa run 20260101T000000Z-fixture", "funnel", "questions written", "reject reasons",
                   "crawl/http_404", "LLM tokens and cost", "0.0051", "timings", "answers by source domain",
                   "Which record label released the 1959 studio album", "click path", "round 2",
                   "http://127.0.0.1:8765/nothing-here/"):
        assert needle in text, needle


def test_render_does_not_interpret_markup_in_data(fixture_run: Path) -> None:
    report = inspect_run(fixture_run, samples=1)
    report["samples"][0]["question"] = "What is [bold]this[/bold] [link=x]?"
    console = Console(record=True, width=140)
    render_report(report, console)
    assert "What is [bold]this[/bold] [link=x]?" in console.export_text()


def test_load_prices(tmp_path: Path) -> None:
    p = tmp_path / "prices.json"
    p.write_text(json.dumps({"Local-Qwen": [0.1, 0.2], "gpt-4o-mini": [0, 0]}))
    assert load_prices(p) == {"local-qwen": (0.1, 0.2), "gpt-4o-mini": (0.0, 0.0)}
    for bad in ({"m": [1]}, {"m": ["1", 2]}, {"m": [-1, 2]}, [1, 2]):
        p.write_text(json.dumps(bad))
        with pytest.raises(ValueError):
            load_prices(p)
