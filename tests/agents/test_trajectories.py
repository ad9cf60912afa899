"""export --format trajectories / react: one line per record, valid tool calls, the record's answer."""

from __future__ import annotations

import json

from agents.env import BrowseEnv, parse_arguments
from agents.solve import SolveConfig, solve_run
from agents.trajectories import OBSERVATION_CHARS
from pipelines.export import export_run
from pipelines.shards import read_table
from schemas.records import QARecord
from tests.agents.test_gate import _run
from tests.agents.test_solve import llm
from tests.agents.tool_server import Plan, ScriptedAgent
from tests.llm_server import LLMTestServer


def _check(run, path):
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    recs = {r["id"]: r for r in read_table(run / "qa", QARecord).to_pylist()}
    assert sorted(x["id"] for x in lines) == sorted(recs)
    with BrowseEnv(run) as env:
        for x in lines:
            msgs = x["messages"]
            assert msgs[1] == {"role": "user", "content": recs[x["id"]]["question"]}
            assert msgs[-1] == {"role": "assistant", "content": f"Answer: {recs[x['id']]['answer']}"}
            calls = {}
            for m in msgs:
                for c in m.get("tool_calls") or []:
                    parse_arguments(c["function"]["name"], c["function"]["arguments"])  # valid against the env
                    calls[c["id"]] = c["function"]
                if m["role"] == "tool":
                    fn = calls[m["tool_call_id"]]
                    real = env.call(fn["name"], fn["arguments"])
                    assert "error" not in json.loads(real)
                    assert m["content"] == real or (len(real) > OBSERVATION_CHARS
                                                     and m["content"].startswith(real[:OBSERVATION_CHARS]))
    return lines


def test_reference_trajectories_export(tmp_path):
    run, drafts, _ = _run(tmp_path)
    lines = _check(run.path, export_run(run.path, "trajectories"))
    assert [x["source"] for x in lines] == ["reference"]
    tools = [m["tool_calls"][0]["function"]["name"] for m in lines[0]["messages"] if m.get("tool_calls")]
    assert tools == ["search", "visit", "visit", "visit"]
    react = [json.loads(x) for x in export_run(run.path, "react").read_text().splitlines()]
    assert [x["id"] for x in react] == [lines[0]["id"]]
    text = react[0]["text"]
    assert text.startswith(f"Question: {drafts[0].question}\nThought: I search for")
    assert text.count("\nAction: ") == 4 and text.count("\nObservation: ") == 4
    assert "I follow link [1] (Beta band)" in text
    assert text.endswith(f"Final Answer: {drafts[0].answer}")


def test_a_solving_rollout_is_preferred_and_ends_with_the_records_answer(tmp_path):
    from tests.agents.conftest import url

    run, drafts, _ = _run(tmp_path)
    rec = drafts[0]
    plan = Plan([("search", "Dunmoor record label"), ("visit", url("Alpha")), ("visit", url("Beta")),
                 ("visit", url("Gamma"))], answer="8 august 1971", right_attempts=frozenset({1}))
    with LLMTestServer(responder=ScriptedAgent({rec.question: plan})) as srv:
        solve_run(run.path, llm(srv, tmp_path), SolveConfig(k=2, concurrency=1))
    lines = _check(run.path, export_run(run.path, "trajectories"))
    assert [x["source"] for x in lines] == ["rollout"]
    first = next(m for m in lines[0]["messages"] if m.get("tool_calls"))
    assert json.loads(first["tool_calls"][0]["function"]["arguments"])["query"] == "Dunmoor record label"
