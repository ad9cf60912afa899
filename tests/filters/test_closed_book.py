"""Closed-book screen against the scripted loopback OpenAI server (tests/llm_server.py)."""

from __future__ import annotations

import json

import pytest

from filters.closed_book import ClosedBookScreen, is_correct
from filters.config import FilterConfig
from pipelines.counters import Counters
from synth.llm import LLMClient
from tests.filters.conftest import qa
from tests.llm_server import ok, refusal

EASY = qa("single_hop", question="Which record label did Ray Charles sign with in 1952?", answer="Atlantic Records",
          difficulty=2)
HARD = qa("multi_hop")
FAILS = qa("single_hop", question="In which city was the pianist behind a 1959 Atlantic single born?",
           answer="Albany", evidence=[qa("single_hop").evidence[0].model_copy(update={"text": "Born: Albany"})],
           meta={"key": "Born", "value": "Albany", "page": qa("single_hop").source_urls[0]})


def responder(call):
    text = call.user_text
    if "Ray Charles sign" in text:
        return ok({"answer": "Atlantic"} if "sample 2" in text else {"answer": "It was Atlantic Records"})
    if "pianist behind" in text:
        return refusal()
    return ok({"answer": "1950"})


def screen(mode, llm_config, records, samples=1):
    counters, rejects = Counters(), []
    cfg = FilterConfig(closed_book=mode, closed_book_samples=samples, closed_book_batch=2)
    with LLMClient(llm_config) as client:
        out = list(ClosedBookScreen(cfg, client).run(records, counters, rejects.append))
    return out, rejects, counters


def test_mark_sets_solve_rate_and_lowers_difficulty(llm_server, llm_config):
    llm_server.responder = responder
    out, rejects, counters = screen("mark", llm_config, [EASY, HARD, FAILS])
    by_id = {r.id: r for r in out}
    assert len(out) == 3 and rejects == []
    easy = by_id[EASY.id]
    assert easy.solve_rate == 1.0 and easy.difficulty == 1
    meta = json.loads(easy.meta_json)["closed_book"]
    assert meta["easy"] is True and meta["model"] == "test-model" and meta["prompt_version"] == "closed_book.v1"
    assert json.loads(easy.meta_json)["key"] == "Label"  # the miners' data is kept
    hard = by_id[HARD.id]
    assert hard.solve_rate == 0.0 and hard.difficulty == HARD.difficulty
    failed = by_id[FAILS.id]
    assert failed.solve_rate is None and failed == FAILS
    assert counters.to_dict() == {"closed_book/total": 3, "closed_book/kept": 3, "closed_book/easy": 1,
                                  "closed_book/llm_error": 1, "closed_book/samples_ok": 2}
    # no evidence is sent: the request holds the question only
    sent = next(c for c in llm_server.chat_calls if "Ray Charles sign" in c.user_text)
    assert "Atlantic" not in json.dumps(sent.messages)


def test_drop_rejects_solved_questions(llm_server, llm_config):
    llm_server.responder = responder
    out, rejects, counters = screen("drop", llm_config, [EASY, HARD])
    assert [r.id for r in out] == [HARD.id]
    assert [(r.stage, r.reason, r.record_id) for r in rejects] == [("filter", "closed_book/solved", EASY.id)]
    assert json.loads(rejects[0].payload_json)["solve_rate"] == 1.0
    assert counters.get("filter/dropped/closed_book/solved") == 1


def test_several_samples_give_a_rate(llm_server, llm_config):
    llm_server.responder = lambda call: ok({"answer": "Atlantic Records" if "sample 1" in call.user_text else "Decca"})
    out, _, _ = screen("mark", llm_config, [EASY], samples=2)
    assert out[0].solve_rate == 0.5 and out[0].difficulty == 1  # 0.5 >= closed_book_easy_at
    assert len(llm_server.chat_calls) == 2


def test_rerun_is_served_from_the_cache(llm_server, llm_config):
    llm_server.responder = responder
    screen("mark", llm_config, [EASY, HARD])
    n = len(llm_server.chat_calls)
    out, _, _ = screen("mark", llm_config, [EASY, HARD])
    assert len(llm_server.chat_calls) == n and out[0].solve_rate == 1.0


def test_off_passes_through_without_a_client():
    out = list(ClosedBookScreen(FilterConfig(), None).run([EASY], Counters()))
    assert out == [EASY]
    with pytest.raises(ValueError, match="needs an LLM client"):
        ClosedBookScreen(FilterConfig(closed_book="mark"), None)


@pytest.mark.parametrize(("predicted", "gold", "right"), [
    ("Atlantic Records", "Atlantic Records", True),
    ("atlantic records.", "The Atlantic Records", True),
    ("It was Atlantic Records", "Atlantic Records", True),
    ("12", "12", True),
    ("12 albums", "12", True),
    ("between 10 and 12", "12", False),
    ("1,024", "1024", True),
    ("April 4, 1976", "4 April 1976", True),
    ("unknown", "Atlantic Records", False),
    ("Decca", "Atlantic Records", False),
    ("Willie Nelson and Billy Preston", "Billy Preston, Willie Nelson", True),
    ("Atlantic", "Atlantic Records", False),
])
def test_is_correct(predicted, gold, right):
    assert is_correct(predicted, gold) is right
