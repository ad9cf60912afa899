from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from pydantic import SecretStr

from agents.replay import Trajectory
from agents.solve import SolveConfig, extract_answer, matches, solve_run
from pipelines.shards import ShardWriter, read_table
from schemas.records import QARecord, Reject
from synth.llm.config import LLMConfig
from tests.agents.conftest import record, url
from tests.agents.tool_server import Plan, ScriptedAgent
from tests.llm_server import LLMTestServer, server_error

CHAIN = [("Alpha", "Alpha — Location: Dunmoor"), ("Beta", "Beta — Singer: Gamma"),
         ("Gamma", "Gamma — Born: 8 August 1971")]
EASY = record("multi_hop", "When was the singer of the band signed by the Dunmoor label born?", "8 August 1971",
              CHAIN)
MEDIUM = record("multi_hop", "Who sings in the band that the Dunmoor label signed?", "Gamma", CHAIN[:2])
UNSOLVED_REPLAYED = record("multi_hop", "Which instrument does the singer of Beta play?", "Piano",
                           [("Beta", "Beta — Singer: Gamma"), ("Gamma", "Gamma — Instrument: Piano")])
UNSOLVED = record("multi_hop", "In which year was the Dunmoor label founded?", "1990", CHAIN[:2])
RECORDS = [EASY, MEDIUM, UNSOLVED_REPLAYED, UNSOLVED]


def plans() -> dict[str, Plan]:
    return {
        EASY.question: Plan([("search", "Dunmoor record label"), ("visit", url("Alpha")), ("visit", url("Beta")),
                             ("visit", url("Gamma"))], answer="8 August 1971"),
        MEDIUM.question: Plan([("bad_tool",), ("bad_args",), ("search", "Dunmoor label"), ("visit", url("Beta"))],
                              answer="the Gamma", right_attempts=frozenset({0, 1})),
    }


def make_run(tmp_path):
    from tests.agents.conftest import write_pages

    run = write_pages(tmp_path / "out" / "r")
    (run / "_state").mkdir()
    with ShardWriter(run / "qa", QARecord, relative_to=run) as w:
        w.write_all(sorted(RECORDS, key=lambda r: r.id))
    with ShardWriter(run / "trajectories", Trajectory, relative_to=run) as w:
        for r in (EASY, MEDIUM, UNSOLVED_REPLAYED):
            w.write(Trajectory(id=r.id + "-ref", record_id=r.id, kind="reference"))
    return run


def llm(srv, tmp_path, **kw) -> LLMConfig:
    return LLMConfig(model=srv.model, base_url=srv.url, api_key=SecretStr("sk-test"),
                     cache_path=tmp_path / "cache.sqlite", max_retries=kw.pop("max_retries", 2), timeout=10, **kw)


def test_extract_and_match_answers():
    assert extract_answer("I checked.\nAnswer: 8 August 1971") == "8 August 1971"
    assert extract_answer("<answer>Gamma</answer>") == "Gamma"
    assert extract_answer("Gamma") == "Gamma"
    assert matches("the Gamma", "Gamma") and matches("GAMMA.", "gamma")
    assert matches("12", "12.0") and matches("It is Dunmoor", "Dunmoor")
    assert matches("Dunny", "Dunmoor", ["Dunny"])
    assert not matches("Kestrel Bay", "Dunmoor") and not matches("", "Dunmoor")
    assert not matches("Dunmoor is not it, the answer is surely another town", "Dunmoor")


def test_solve_fills_rates_tiers_and_applies_the_policy(tmp_path):
    run = make_run(tmp_path)
    with LLMTestServer(responder=ScriptedAgent(plans())) as srv:
        srv.script(server_error(500))  # a fault the client's retry absorbs
        out = solve_run(run, llm(srv, tmp_path), SolveConfig(k=4, concurrency=2))
        paid = len(srv.chat_calls)
        again = solve_run(run, llm(srv, tmp_path), SolveConfig(k=4, concurrency=2), redo=True)
        assert len(srv.chat_calls) == paid  # re-run: every answer from the cache
    assert again["calls"] == 0 and again["cache_hits"] > 0
    qa = {r["id"]: r for r in read_table(run / "qa", QARecord).to_pylist()}
    assert set(qa) == {MEDIUM.id, UNSOLVED_REPLAYED.id}
    m = qa[MEDIUM.id]
    assert (m["solve_rate"], m["difficulty_tier"]) == (0.5, "medium")
    assert m["solve_steps"] == 4.0  # bad tool, bad arguments, search, visit
    u = qa[UNSOLVED_REPLAYED.id]
    assert (u["solve_rate"], u["difficulty_tier"], u["solve_steps"]) == (0.0, "unsolved", None)
    rejects = {(r["reason"], r["record_id"]) for r in read_table(run / "rejects", Reject).to_pylist()}
    assert rejects == {("all_attempts_solved", EASY.id), ("unsolved_unreplayable", UNSOLVED.id)}
    c = out["counters"]
    assert c["solve/attempts"] == 16 and c["solve/solved"] == 4 + 2 and c["solve/failed"] == 10
    assert out["tokens"]["solve"]["calls"] == paid - 1  # the 500 is retried by the client
    rollouts = [t for t in read_table(run / "trajectories", Trajectory).to_pylist() if t["kind"] == "rollout"]
    assert len(rollouts) == 16
    easy = next(t for t in rollouts if t["record_id"] == EASY.id and t["attempt"] == 0)
    msgs = json.loads(easy["messages_json"])
    assert [m["role"] for m in msgs] == ["system", "user"] + ["assistant", "tool"] * 4 + ["assistant"]
    assert msgs[-1]["content"] == "Answer: 8 August 1971" and easy["solved"]
    med = next(t for t in rollouts if t["record_id"] == MEDIUM.id and t["attempt"] == 0)
    tool_results = [json.loads(m["content"]) for m in json.loads(med["messages_json"]) if m["role"] == "tool"]
    assert tool_results[0]["error"].startswith("unknown tool 'browse'")
    assert "not JSON" in tool_results[1]["error"]


def test_step_limit_budget_and_failed_calls_are_counted(tmp_path):
    run = make_run(tmp_path)
    with LLMTestServer(responder=ScriptedAgent(plans())) as srv:
        out = solve_run(run, llm(srv, tmp_path), SolveConfig(k=1, max_steps=2, concurrency=1, policy="tag"))
    c = out["counters"]
    assert c["solve/limit/step_limit"] == 2  # EASY and MEDIUM need more than 2 tool calls
    run2 = make_run(tmp_path / "b")
    with LLMTestServer(responder=ScriptedAgent(plans())) as srv:
        out = solve_run(run2, llm(srv, tmp_path / "b", token_budget=60), SolveConfig(k=1, concurrency=1))
    assert out["counters"]["solve/unfinished/budget"] >= 1
    run3 = make_run(tmp_path / "c")
    with LLMTestServer(responder=lambda call: server_error(500)) as srv:
        out = solve_run(run3, llm(srv, tmp_path / "c", max_retries=0), SolveConfig(k=1, concurrency=1))
    assert out["counters"]["solve/unfinished/llm_error"] == 4
    assert out["counters"]["solve/no_finished_attempt"] == 4
    assert {r["id"] for r in read_table(run3 / "qa", QARecord).to_pylist()} == {r.id for r in RECORDS}


def test_a_rollout_through_the_http_env(tmp_path):
    from agents.env import BrowseEnv
    from agents.serve import HTTPTools, serve_in_thread

    run = make_run(tmp_path)
    with serve_in_thread(run, token="t0k") as base, LLMTestServer(responder=ScriptedAgent(plans())) as srv:
        solve_run(run, llm(srv, tmp_path), SolveConfig(k=1, concurrency=1, policy="tag"),
                  tools_factory=lambda: HTTPTools(base, token="t0k"))
    rollouts = {t["record_id"]: t for t in read_table(run / "trajectories", Trajectory).to_pylist()
                if t["kind"] == "rollout"}
    msgs = json.loads(rollouts[EASY.id]["messages_json"])
    with BrowseEnv(run) as env:
        for call, result in zip([m for m in msgs if m.get("tool_calls")], [m for m in msgs if m["role"] == "tool"],
                                strict=True):
            fn = call["tool_calls"][0]["function"]
            assert result["content"][:4000] == env.call(fn["name"], fn["arguments"])[:4000]
    assert rollouts[EASY.id]["solved"] and rollouts[EASY.id]["n_steps"] == 4


KILL_SCRIPT = """
import sys
from pydantic import SecretStr
from agents.solve import SolveConfig, solve_run
from synth.llm.config import LLMConfig
cfg = LLMConfig(model="test-model", base_url=sys.argv[2], api_key=SecretStr("sk-test"),
                cache_path=sys.argv[3], max_retries=0, timeout=10)
solve_run(sys.argv[1], cfg, SolveConfig(k=4, concurrency=1))
"""


@pytest.mark.slow
def test_kill_9_mid_way_then_rerun_pays_no_cached_attempt(tmp_path):
    run = make_run(tmp_path)
    cache = tmp_path / "cache.sqlite"
    with LLMTestServer(responder=ScriptedAgent(plans()), latency=0.05) as srv:
        env = {**os.environ, "PYTHONPATH": os.getcwd()}
        p = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(run), srv.url, str(cache)], env=env)
        deadline = time.monotonic() + 120
        while len(srv.chat_calls) < 12 and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.01)
        assert p.poll() is None, "the solver finished before it could be killed"
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        before = len(srv.chat_calls)
        subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(run), srv.url, str(cache)], env=env, check=True)
        bodies = [json.dumps(c.body, sort_keys=True) for c in srv.chat_calls]
    assert len(bodies) > before  # the re-run finished the work
    repeats = len(bodies) - len(set(bodies))
    assert repeats <= 1  # at most the one answer in flight when the process died
    qa = {r["id"]: r for r in read_table(run / "qa", QARecord).to_pylist()}
    assert set(qa) == {MEDIUM.id, UNSOLVED_REPLAYED.id} and qa[MEDIUM.id]["solve_rate"] == 0.5
    assert (run / "_state" / "solve-00000.json").is_file()
