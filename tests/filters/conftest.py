"""Crafted QA records for the filter tests: one valid record per type, edited per test."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from schemas.ids import qa_id
from schemas.records import Evidence, LineageStep, QARecord
from tests.llm_server import llm_config, llm_server  # noqa: F401  (pytest fixtures)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ROOT = "https://en.wikipedia.org/wiki/Main_Page"
RC = "https://en.wikipedia.org/wiki/Ray_Charles"
ATL = "https://en.wikipedia.org/wiki/Atlantic_Records"
ABC = "https://en.wikipedia.org/wiki/ABC_Records"
BB = "https://en.wikipedia.org/wiki/B.B._King"

LINKS: dict[str, set[str]] = {ROOT: {RC, BB}, RC: {ATL, ABC, BB}, ATL: {ROOT}, BB: {ABC}, ABC: set()}


def qa(type_: str = "single_hop", **kw) -> QARecord:
    """A record of ``type_`` that passes every validity filter; ``kw`` overrides fields.

    ``meta`` (a dict) replaces meta_json; the id is recomputed from the final content unless given.
    """
    base = BASES[type_]()
    meta = kw.pop("meta", None)
    if meta is not None:
        base["meta_json"] = json.dumps(meta)
    base.update(kw)
    if "id" not in kw:
        base["id"] = qa_id(base["type"], base["question"], base["answer"], base["source_urls"])
    return QARecord(**base)


def _common(**kw) -> dict:
    return {"root_url": ROOT, "hops": 1, "language": "en", "writer": "template", "prompt_version": "t1",
            "difficulty": 1, "run_id": "run-1", "created_at": T0, "domain": "en.wikipedia.org", **kw}


def _single_hop() -> dict:
    return _common(
        type="single_hop", question="Which record label did Ray Charles sign with in 1952?",
        answer="Atlantic Records", source_urls=[RC], golden_path=[ROOT, RC],
        evidence=[Evidence(url=RC, text="Ray Charles — Label: Atlantic Records (1952–1959)")],
        meta_json=json.dumps({"key": "Label", "value": "Atlantic Records (1952–1959)", "page": RC}),
    )


def _count() -> dict:
    items = ["The Genius of Ray Charles", "Modern Sounds in Country and Western Music", "Ingredients in a Recipe for Soul"]
    return _common(
        type="count", question="How many studio albums by Ray Charles are listed under his 1959 to 1963 work?",
        answer="3", source_urls=[RC], golden_path=[ROOT, RC],
        evidence=[Evidence(url=RC, text="Studio albums\n- The Genius of Ray Charles\n- Modern Sounds in Country "
                                        "and Western Music\n- Ingredients in a Recipe for Soul")],
        meta_json=json.dumps({"items": items, "label": "Studio albums", "section": "Discography", "page": RC}),
    )


def _multi_hop() -> dict:
    return _common(
        type="multi_hop", hops=2,
        question="In which year was the record label that first signed the singer of 'What'd I Say' founded?",
        answer="1947", source_urls=[RC, ATL], golden_path=[ROOT, RC, ATL],
        evidence=[Evidence(url=RC, text="Ray Charles — Label: Atlantic Records"),
                  Evidence(url=ATL, text="Atlantic Records — Founded: 1947")],
        meta_json=json.dumps({"path": [{"from": RC, "to": ATL, "anchor": "Atlantic Records"}],
                              "fact": {"page": ATL, "key": "Founded", "value": "1947"}}),
    )


def _intersection() -> dict:
    return _common(
        type="intersection", hops=2,
        question="Which musicians appear both among Ray Charles's associated acts and B.B. King's?",
        answer="Willie Nelson, Billy Preston", source_urls=[RC, BB], golden_path=[ROOT, RC, BB],
        evidence=[Evidence(url=RC, text="Associated acts: Willie Nelson, Billy Preston, Quincy Jones"),
                  Evidence(url=BB, text="Associated acts: Billy Preston, Eric Clapton, Willie Nelson")],
        meta_json=json.dumps({
            "a": {"url": RC, "label": "Associated acts", "items": ["Willie Nelson", "Billy Preston", "Quincy Jones"]},
            "b": {"url": BB, "label": "Associated acts", "items": ["Billy Preston", "Eric Clapton", "Willie Nelson"]},
            "shared": ["Billy Preston", "Willie Nelson"]}),
    )


def _e2h() -> dict:
    q0 = "Which record label did Ray Charles sign with in 1952?"
    q1 = "Which record label did the pianist who recorded 'What'd I Say' sign with in 1952?"
    q2 = "Which record label did the pianist behind a 1959 Atlantic single sign with in the year Elizabeth II became queen?"
    step = dict(entity="Ray Charles", query="What'd I Say pianist", evidence_url=RC, snippet="...", snippet_hash="h",
                description="the pianist who recorded 'What'd I Say'")
    return _common(
        type="e2h", question=q2, answer="Atlantic Records", source_urls=[RC], golden_path=[ROOT, RC],
        evidence=[Evidence(url=RC, text="Ray Charles — Label: Atlantic Records (1952–1959)")],
        lineage=[LineageStep(round=1, question_before=q0, question_after=q1, **step),
                 LineageStep(round=2, question_before=q1, question_after=q2, **step)],
        meta_json=json.dumps({"seed_question": q0}),
    )


BASES = {"single_hop": _single_hop, "count": _count, "multi_hop": _multi_hop, "intersection": _intersection,
         "e2h": _e2h}


@pytest.fixture
def make_qa():
    return qa
