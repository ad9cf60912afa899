"""crawlqa solve / serve / --keep-easy on the command line, and the Prefect solve flow."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from crawlqa.cli import app
from pipelines.shards import read_table
from schemas.records import QARecord
from tests.agents.test_solve import EASY, MEDIUM, UNSOLVED_REPLAYED, make_run, plans
from tests.agents.tool_server import ScriptedAgent
from tests.llm_server import LLMTestServer


def test_solve_command_with_the_configured_endpoint(tmp_path, monkeypatch):
    run = make_run(tmp_path)
    with LLMTestServer(responder=ScriptedAgent(plans())) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        res = CliRunner().invoke(app, ["solve", str(run), "--k", "4", "--engine", "local", "--model", srv.model,
                                       "--concurrency", "2"])
        assert res.exit_code == 0, res.output + repr(res.exception)
        paid = len(srv.chat_calls)
        again = CliRunner().invoke(app, ["solve", str(run), "--k", "4", "--engine", "local", "--model", srv.model,
                                         "--redo"])
        assert again.exit_code == 0 and len(srv.chat_calls) == paid
    assert "solved 4 questions × 4" in res.output and "model calls 0" in again.output
    qa = {r["id"]: r for r in read_table(run / "qa", QARecord).to_pylist()}
    assert set(qa) == {MEDIUM.id, UNSOLVED_REPLAYED.id} and EASY.id not in qa


def test_solve_needs_a_model_and_serve_a_run(tmp_path):
    run = make_run(tmp_path)
    res = CliRunner().invoke(app, ["solve", str(run), "--engine", "local"])
    assert res.exit_code == 2 and "solving needs a model" in res.output
    res = CliRunner().invoke(app, ["serve", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "no run folder" in res.output


def test_keep_easy_reaches_the_filter_config(tmp_path, monkeypatch):
    from pipelines import job as J
    from pipelines.run import RunDir, StageReport
    from tests.agents.conftest import write_pages

    run = RunDir(tmp_path, "k").create()
    write_pages(run.path)
    run.mark_done("crawl", StageReport("crawl").to_dict())
    seen = {}

    def fake_filter(run_, cfg, counters, **kw):
        seen["keep_easy"] = cfg.filters.keep_easy
        return StageReport("filter")

    monkeypatch.setattr(J, "stage_filter", fake_filter)
    for flag, want in (([], False), (["--keep-easy"], True)):
        res = CliRunner().invoke(app, ["synth", str(run.path), "--llm", "offline", "--redo", *flag])
        assert res.exit_code == 0, res.output + repr(res.exception)
        assert seen.pop("keep_easy") is want


@pytest.mark.slow
def test_solve_flow_runs_a_prefect_task_per_shard(tmp_path, prefect_harness):
    from pydantic import SecretStr

    from agents.solve import SolveConfig
    from flows import solve_flow
    from synth.llm.config import LLMConfig

    run = make_run(tmp_path)
    with LLMTestServer(responder=ScriptedAgent(plans())) as srv:
        llm = LLMConfig(model=srv.model, base_url=srv.url, api_key=SecretStr("sk-test"),
                        cache_path=tmp_path / "c.sqlite", timeout=10)
        out = solve_flow(run_dir=str(run), llm_cfg=llm, solve_cfg=SolveConfig(k=2, concurrency=1))
    assert out["shards"] == 1 and out["counters"]["solve/attempts"] == 8
    assert (run / "_state" / "solve-00000.json").is_file()


@pytest.mark.slow
def test_run_with_solve_fills_every_kept_record(tmp_path, monkeypatch, fixture_site):
    """``crawlqa run --llm offline --solve 2``: the offline job, then agent rollouts with the model."""
    import json

    with LLMTestServer(responder=ScriptedAgent({})) as srv:  # answers "I do not know" at once
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        res = CliRunner().invoke(app, [
            "run", "--roots", fixture_site.url.rstrip("/") + "/wiki/index.html", "--out", str(tmp_path),
            "--run-id", "s", "--engine", "local", "--llm", "offline", "--model", srv.model, "--max-depth", "2",
            "--max-pages", "40", "--delay", "0", "--allow-private", "--solve", "2"])
        assert res.exit_code == 0, res.output + repr(res.exception)
        assert srv.chat_calls, "the model was asked"
    run = tmp_path / "s"
    qa = read_table(run / "qa", QARecord).to_pylist()
    assert qa and all(r["solve_rate"] == 0.0 and r["difficulty_tier"] == "unsolved" for r in qa)
    m = json.loads((run / "manifest.json").read_text())
    assert m["solve"]["counters"]["solve/failed"] == 2 * m["solve"]["counters"]["solve/records"]
    assert sum(s["n"] for s in m["agents"]["solve"].values()) == len(qa)


def test_solve_updates_the_manifest_shards_and_funnel(tmp_path, monkeypatch):
    import json

    from pipelines import job as J
    from pipelines.counters import Counters
    from pipelines.inspect import inspect_run
    from pipelines.run import RunDir

    run_path = make_run(tmp_path)
    run = RunDir.open(run_path)
    J.finalize(run, {"roots": []}, [], Counters())
    with LLMTestServer(responder=ScriptedAgent(plans())) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
        res = CliRunner().invoke(app, ["solve", str(run_path), "--k", "4", "--engine", "local", "--model", srv.model])
        assert res.exit_code == 0, res.output + repr(res.exception)
    m = json.loads((run_path / "manifest.json").read_text())
    assert m["funnel"]["kept"] == 2 and m["funnel"]["reject_reasons"] == {
        "solve/all_attempts_solved": 1, "solve/unsolved_unreplayable": 1}
    assert m["agents"]["solve"]["multi_hop"]["tiers"] == {"medium": 1, "unsolved": 1}
    report = inspect_run(run_path)
    assert not [w for w in report["warnings"] if "manifest funnel" in w]
    assert "solve_rate" in (run_path / "README.md").read_text()
