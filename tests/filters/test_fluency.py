"""The fluency filter: doubled words and phrases, quotes and brackets, the question mark, stray marks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from filters import FilterConfig, build_filters, registered
from filters.base import FilterChain
from filters.fluency import Fluency, fluency_problem
from pipelines.counters import Counters
from schemas.ids import qa_id
from schemas.records import Evidence, QARecord

GOOD = [
    "Who produced the previous single of the next single of the song written by Bobby Sharp?",
    'Who sang "Bye Bye Love" in 1957?',
    "Who released Do the Twist! with Ray Charles?",             # a title's own '!' (unquoted)
    'Which label released "Yes Indeed!" in 1958?',
    'Who wrote the song whose title is "What\'d I Say?"',       # the question mark of a quoted title
    "Who is on the Beatles' album Let It Be?",
    "Which group recorded the song whose label is One-DERFUL! in 1963?",
    "When was the notable work of the producer born in Halverstad released?",
    "How many albums did Ray Charles release between 1957 and 1959?",
    "In what year was the 3.5 km long bridge (the old one) opened?",
    "Which label released the next album of the album whose next album is True to Life?",
    # several sentences (obfuscated questions): a phrase taken up again in the next sentence is no slip
    "Consider a Norvanian singer-songwriter and pianist. This Norvanian singer-songwriter and pianist was born "
    "in a place established in the 1340s. Can you name this Norvanian singer-songwriter and pianist?",
]
BAD = [
    ("Who wrote the 1977 studio album by American recording artist Ray Charles by Ray Charles?", "doubled_phrase"),
    ("Who directed the 1994 1994 romantic drama film?", "doubled_word"),
    ("Who wrote the the song?", "doubled_word"),
    ("Which record of the of the label sold best?", "doubled_phrase"),
    ("In which city was the album released on June 1958! by Ray Charles recorded?", "stray_punctuation"),
    ("Where was the album recorded! by him released?", "stray_punctuation"),
    ("Who wrote it, , then?", "stray_punctuation"),
    ("Who wrote it ,then?", "stray_punctuation"),
    ('Who sang "" in 1957?', "stray_punctuation"),
    ("Who wrote it (the song?", "unbalanced_brackets"),
    ('Who wrote "Cry in 1951?', "unbalanced_quotes"),
    ("Who wrote “Cry in 1951?", "unbalanced_quotes"),
    ("Who wrote the song? And when?", "question_mark"),
    ("Who wrote the song.", "question_mark"),
]


@pytest.mark.parametrize("q", GOOD)
def test_fluent_questions_pass(q):
    assert fluency_problem(q) is None


@pytest.mark.parametrize(("q", "reason"), BAD)
def test_each_problem_has_its_reason(q, reason):
    got = fluency_problem(q)
    assert got is not None and got[0] == reason, got


def record(q: str, qtype: str) -> QARecord:
    url = "http://127.0.0.1:8765/wiki/A.html"
    return QARecord(id=qa_id(qtype, q, "x", [url]), type=qtype, question=q, answer="Agnes Holm", root_url=url,
                    source_urls=[url], golden_path=[url], evidence=[Evidence(url=url, text="Agnes Holm")], hops=1,
                    writer="llm-model", prompt_version="v1", run_id="r", created_at=datetime(2026, 1, 1, tzinfo=UTC))


def test_registered_for_every_type_and_counted():
    assert registered()["fluency"] is Fluency and Fluency.applies_to is None
    assert any(isinstance(f, Fluency) for f in build_filters(FilterConfig()))
    c, rejects = Counters(), []
    chain = FilterChain([Fluency()], c, rejects.append)
    recs = [record(BAD[0][0], "e2h"), record(BAD[1][0], "multi_hop"), record(GOOD[0], "obfuscated")]
    kept = list(chain.run(recs))
    assert [r.question for r in kept] == [GOOD[0]]
    assert c.get("filter/dropped/fluency/doubled_phrase") == 1 and c.get("filter/dropped/fluency/doubled_word") == 1
    assert sorted(r.reason for r in rejects) == ["fluency/doubled_phrase", "fluency/doubled_word"]
