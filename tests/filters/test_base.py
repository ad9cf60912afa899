"""The filter base: verdicts, counters, rejects, applicability, funnel, errors."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest

from filters.base import KEEP, Filter, FilterChain, FilterError, drop
from pipelines.counters import Counters
from schemas.ids import reject_id
from schemas.records import QARecord
from tests.filters.conftest import qa


class NoDigits(Filter):
    name: ClassVar[str] = "no_digits"

    def check(self, record: QARecord):
        return drop("has_digit", record.question[:10]) if any(c.isdigit() for c in record.question) else KEEP


class CountOnly(Filter):
    name: ClassVar[str] = "count_only"
    applies_to: ClassVar[frozenset[str]] = frozenset({"count"})

    def check(self, record: QARecord):
        return drop("always")


class Broken(Filter):
    name: ClassVar[str] = "broken"

    def check(self, record: QARecord):
        raise KeyError("boom")


def test_chain_counts_drops_and_writes_rejects():
    counters, rejects = Counters(), []
    recs = [qa("single_hop"), qa("single_hop", question="Which record label did Ray Charles join after leaving Atlantic?"),
            qa("count")]
    kept = list(FilterChain([NoDigits(), CountOnly()], counters, rejects.append, run_id="run-9").run(recs))
    assert [r.id for r in kept] == [recs[1].id]
    assert counters.to_dict() == {"filter/total": 3, "filter/kept": 1,
                                  "filter/dropped/no_digits/has_digit": 2}
    r0 = rejects[0]
    assert (r0.stage, r0.reason, r0.record_id, r0.run_id) == ("filter", "no_digits/has_digit", recs[0].id, "run-9")
    assert r0.id == reject_id("filter", "no_digits/has_digit", recs[0].id)
    assert json.loads(r0.payload_json)["question"] == recs[0].question
    assert r0.url == recs[0].source_urls[0]


def test_applies_to_limits_the_types_checked():
    counters = Counters()
    recs = [qa("single_hop", question="Which record label did Ray Charles join after leaving Atlantic?"), qa("count")]
    kept = list(FilterChain([CountOnly()], counters).run(recs))
    assert [r.type for r in kept] == ["single_hop"]
    assert counters.get("filter/dropped/count_only/always") == 1


def test_funnel_in_chain_order():
    counters = Counters()
    chain = FilterChain([NoDigits(), CountOnly()], counters)
    list(chain.run([qa("single_hop"), qa("count", question="How many studio albums by Ray Charles are listed?"),
                    qa("e2h", question="Which label signed the pianist of a famous single?")]))
    assert chain.funnel() == [
        {"filter": "no_digits", "in": 3, "dropped": 1, "out": 2, "reasons": {"has_digit": 1}},
        {"filter": "count_only", "in": 2, "dropped": 1, "out": 1, "reasons": {"always": 1}},
    ]


def test_a_filter_bug_raises_with_context():
    rec = qa("single_hop")
    with pytest.raises(FilterError, match=f"broken.*{rec.id}"):
        list(FilterChain([Broken()], Counters()).run([rec]))


def test_duplicate_filter_names_are_refused():
    with pytest.raises(ValueError, match="duplicate"):
        FilterChain([NoDigits(), NoDigits()], Counters())


def test_chain_streams():
    seen = []

    def gen():
        for i in range(3):
            seen.append(i)
            yield qa("single_hop", question=f"Which record label did Ray Charles join in year number {'x' * i}?")

    it = FilterChain([CountOnly()], Counters()).run(gen())
    next(it)
    assert seen == [0]
