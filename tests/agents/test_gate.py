"""The filter stage with the agent gates: qa/ without shortcuts, seeds/, reference trajectories."""

from __future__ import annotations

from agents.replay import Trajectory
from pipelines import job as J
from pipelines.counters import Counters
from pipelines.run import RunDir
from pipelines.shards import ShardWriter, read_table
from schemas.records import QARecord, Reject
from tests.agents.conftest import record, url, write_pages

CHAIN = [("Alpha", "Alpha — Location: Dunmoor"), ("Beta", "Beta — Singer: Gamma"),
         ("Gamma", "Gamma — Born: 8 August 1971")]


def _run(tmp_path, *, keep_easy=False):
    from crawlqa.config import make_job_config

    cfg = make_job_config([url("hub")], out=str(tmp_path), run_id="gate", llm="offline",
                          filters={"keep_easy": keep_easy}, dedup_index=False)
    run = RunDir(tmp_path, "gate").create()
    write_pages(run.path)
    drafts = [
        record("multi_hop", "When was the singer of the band signed by the label in Dunmoor born?",
               "8 August 1971", CHAIN),
        record("multi_hop", "In which city is the record label that signed the glass pop band located?",
               "Dunmoor", CHAIN[:2]),                         # the label's page comes first: a shortcut
        record("multi_hop", "Who plays the drums in the band that the record label Alpha signed?",
               "Zed Quill", [("Alpha", "Alpha — Location: Dunmoor"), ("Beta", "Beta — Drummer: Zed Quill")]),
        record("single_hop", "In which city was the record label Alpha founded?", "Dunmoor", CHAIN[:1]),
    ]
    with ShardWriter(run.sub("drafts"), QARecord, relative_to=run.path) as w:
        w.write_all(sorted(drafts, key=lambda r: r.id))
    report = J.stage_filter(run, cfg, Counters())
    return run, drafts, report


def test_filter_stage_gates_routes_seeds_and_stores_replays(tmp_path):
    run, drafts, report = _run(tmp_path)
    qa = read_table(run.sub("qa"), QARecord).to_pylist()
    seeds = read_table(run.sub("seeds"), QARecord).to_pylist()
    rejects = read_table(run.sub("rejects"), Reject).to_pylist()
    trajs = read_table(run.sub("trajectories"), Trajectory).to_pylist()
    assert [r["id"] for r in qa] == [drafts[0].id]
    assert qa[0]["shortcut_rank"] is None or qa[0]["shortcut_rank"] > 3
    assert [(r["type"], r["shortcut_rank"]) for r in seeds] == [("single_hop", 1)]
    assert sorted((r["reason"], r["record_id"]) for r in rejects) == sorted(
        [("shortcut/answer_in_top3", drafts[1].id), ("replay/unreplayable", drafts[2].id)])
    assert [t["record_id"] for t in trajs] == [drafts[0].id]
    assert report.counters["filter/dropped/shortcut/answer_in_top3"] == 1
    assert {"qa", "seeds", "trajectories", "rejects"} <= set(report.shards)


def test_keep_easy_tags_instead_of_dropping(tmp_path):
    run, drafts, report = _run(tmp_path, keep_easy=True)
    qa = {r["id"]: r for r in read_table(run.sub("qa"), QARecord).to_pylist()}
    assert set(qa) == {drafts[0].id, drafts[1].id}
    assert qa[drafts[1].id]["shortcut_rank"] == 1
    assert report.counters["filter/shortcut/easy_kept"] == 1


def test_agents_report_in_inspect_and_manifest(tmp_path):
    from pipelines.inspect import inspect_run

    run, _, report = _run(tmp_path)
    manifest = J.finalize(run, {"roots": [url("hub")]}, [report], Counters())
    expected = {"shortcut_rank": {"multi_hop": {"none": 1}},
                "seeds": {"rows": 1, "shortcut_rank": {"1": 1}},
                "trajectories": {"kept": 1, "with_reference": 1, "rollouts": 0}}
    assert manifest["agents"] == expected
    assert inspect_run(run.path)["agents"] == expected
