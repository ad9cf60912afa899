from __future__ import annotations

import json

from agents.env import BrowseEnv
from agents.replay import Replayer, ReplayFilter, snippet_parts, targets
from filters.base import FilterChain
from pipelines.counters import Counters
from schemas.records import Constraint, LineageStep
from tests.agents.conftest import record, url

CHAIN = [("Alpha", "Alpha — Location: Dunmoor"), ("Beta", "Beta — Singer: Gamma"),
         ("Gamma", "Gamma — Born: 8 August 1971")]


def test_snippet_parts():
    assert snippet_parts("Dunmoor — Mayor: Tomas Ekdahl") == ["Tomas Ekdahl"]
    assert snippet_parts("T — Born: 30 January 1965; Kestrel Bay") == ["30 January 1965", "Kestrel Bay"]
    assert snippet_parts("Park — papers:\n- A paper\n- B paper") == ["A paper", "B paper"]
    assert snippet_parts("S — Notes › Albums, entry 3: Northern Glass (2013)") == ["Northern Glass (2013)"]
    assert snippet_parts("a verbatim sentence of the page") == ["a verbatim sentence of the page"]


def test_a_chain_is_replayed_by_a_search_then_links_in_order(mini_run):
    rec = record("multi_hop", "When was the singer of the band signed by the label in Dunmoor born?",
                 "8 August 1971", CHAIN)
    with BrowseEnv(mini_run) as env:
        res = Replayer(env).replay(rec)
    assert res.ok, res.detail
    assert res.steps[0] == {"tool": "search", "args": {"query": rec.question, "k": 10}}
    visits = [s["args"]["url"] for s in res.steps if s["tool"] == "visit"]
    assert visits == [url("Alpha"), url("Beta"), url("Gamma")]
    assert res.seen == [url("Alpha"), url("Beta"), url("Gamma")]


def test_a_page_no_link_reaches_is_found_by_a_further_search(mini_run):
    rec = record("intersection", "Which birdsong island has as many tracks as the Gamma record?", "12",
                 [("Gamma", "Gamma — Instrument: Piano"), ("Lone", "Lone — Tracks: 12")])
    with BrowseEnv(mini_run) as env:
        res = Replayer(env).replay(rec)
    assert res.ok, res.detail
    assert {"tool": "search", "args": {"query": "Lone", "k": 10}} in res.steps or \
        [s for s in res.steps if s["tool"] == "visit"][-1]["args"]["url"] == url("Lone")


def test_unreplayable_paths_say_why(mini_run):
    missing = record("multi_hop", "Who founded the label in Dunmoor?", "X",
                     [("Alpha", "Alpha — Location: Dunmoor"), ("Nowhere", "Nowhere — Founder: X")])
    wrong = record("multi_hop", "Who founded the label in Dunmoor?", "Y", [("Alpha", "Alpha — Founder: Y Z")])
    with BrowseEnv(mini_run) as env:
        r1, r2 = Replayer(env).replay(missing), Replayer(env).replay(wrong)
    assert not r1.ok and r1.detail.startswith("evidence page not in the corpus")
    assert not r2.ok and r2.detail.startswith(f"evidence not on the page {url('Alpha')}")


def test_targets_of_e2h_and_obfuscated_records():
    lin = [LineageStep(round=r, entity=e, query=e, evidence_url=url(e), snippet=f"{e} snippet",
                       snippet_hash=str(r), description="d", question_before="q", question_after="q")
           for r, e in ((1, "Beta"), (2, "Gamma"))]
    rec = record("e2h", "Which label signed the band of the singer born in 1971?", "Alpha",
                 [("Alpha", "Alpha — Label: Alpha"), ("Beta", "Beta snippet"), ("Gamma", "Gamma snippet")],
                 lineage=lin)
    ts, ordered = targets(rec)
    assert [t.url for t in ts] == [url("Gamma"), url("Beta"), url("Alpha")] and ordered
    ob = record("obfuscated", "Which singer born in the 1970s plays a keyboard instrument?", "Gamma",
                [("Gamma", "Gamma")], constraints=[
                    Constraint(subject="?x", relation="born", object="the 1970s", value="1971",
                               evidence_url=url("Gamma"), snippet="Gamma — Born: 8 August 1971"),
                    Constraint(subject="?x", relation="instrument", object="a keyboard", value="Piano",
                               evidence_url=url("Gamma"), snippet="Gamma — Instrument: Piano")])
    ts, ordered = targets(ob)
    assert [t.snippet for t in ts] == ["Gamma — Born: 8 August 1971", "Gamma — Instrument: Piano"]
    assert not ordered


def test_replay_filter_drops_unreplayable_and_writes_reference_trajectories(mini_run):
    good = record("multi_hop", "When was the singer of the band signed by the label in Dunmoor born?",
                  "8 August 1971", CHAIN)
    bad = record("comparison", "Which is older, Alpha or Nowhere?", "Alpha", [("Nowhere", "x")])
    seed = record("single_hop", "Where is Nowhere?", "Here", [("Nowhere", "x")])
    trajs, rejects, counters = [], [], Counters()
    with BrowseEnv(mini_run) as env:
        chain = FilterChain([ReplayFilter(env, trajs.append)], counters, rejects.append)
        kept = list(chain.run([good, bad, seed]))
    assert [r.id for r in kept] == [good.id, seed.id]  # seeds are not replayed
    assert [r.reason for r in rejects] == ["replay/unreplayable"]
    assert counters.get("filter/dropped/replay/unreplayable") == 1
    assert [t.record_id for t in trajs] == [good.id]
    t = trajs[0]
    assert t.kind == "reference" and t.answer == good.answer and t.n_steps == len(json.loads(t.steps_json)) == 4
