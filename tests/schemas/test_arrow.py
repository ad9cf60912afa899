"""The Arrow schemas are derived from the pydantic records and agree with them."""

from __future__ import annotations

import typing
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from schemas import STAGE_MODELS, Candidate, Evidence, LineageStep, Link, Page, QARecord, Reject
from schemas.arrow import arrow_schema, from_table, to_table


@pytest.mark.parametrize("name", sorted(STAGE_MODELS))
def test_every_model_field_has_a_column_in_order(name):
    model = STAGE_MODELS[name]
    schema = arrow_schema(model)
    assert schema.names == list(model.model_fields)
    assert schema.metadata[b"crawlqa.record"] == model.__name__.encode()


def test_optional_fields_are_nullable_and_required_are_not():
    s = arrow_schema(Page)
    assert s.field("parent_url").nullable and s.field("date").nullable
    assert not s.field("url").nullable and not s.field("depth").nullable
    assert s.field("fetched_at").type == pa.timestamp("us", tz="UTC")
    assert s.field("out_links").type.value_type == pa.struct(
        [pa.field("url", pa.string(), nullable=False), pa.field("text", pa.string(), nullable=False)])


def test_contract_columns_present():
    page_cols = {"id", "url", "final_url", "root_url", "depth", "parent_url", "anchor_text", "status",
                 "content_type", "fetched_at", "title", "text", "html", "language", "out_links"}
    qa_cols = {"id", "type", "question", "answer", "root_url", "source_urls", "golden_path", "evidence", "hops",
               "language", "writer", "prompt_version", "difficulty", "run_id", "created_at"}
    assert page_cols <= set(arrow_schema(Page).names)
    assert qa_cols <= set(arrow_schema(QARecord).names)
    assert {"stage", "reason", "record_id", "dup_of"} <= set(arrow_schema(Reject).names)


def test_qa_type_literal_matches_declared_types():
    from schemas.records import QA_TYPES, QAType

    assert set(typing.get_args(QAType)) == set(QA_TYPES)


def _qa(**kw) -> QARecord:
    base = dict(id="q1", type="multi_hop", question="Who produced the second album of Mira Volkova?",
                answer="Ansel Brook", root_url="http://127.0.0.1/wiki/index.html",
                source_urls=["http://127.0.0.1/a", "http://127.0.0.1/b"],
                golden_path=["http://127.0.0.1/wiki/index.html", "http://127.0.0.1/a", "http://127.0.0.1/b"],
                evidence=[Evidence(url="http://127.0.0.1/b", text="Producer: Ansel Brook")], hops=2,
                writer="template", prompt_version="template-v1", run_id="r", created_at=datetime(2026, 1, 2, tzinfo=UTC),
                lineage=[LineageStep(round=1, entity="e", query="q", evidence_url="u", snippet="s", snippet_hash="h",
                                     description="d", question_before="a?", question_after="b?")])
    base.update(kw)
    return QARecord(**base)


def test_round_trip_through_arrow_is_lossless():
    recs = [_qa(), _qa(id="q2", solve_rate=0.5, type="count", answer="7")]
    table = to_table(recs, QARecord)
    assert table.schema.equals(arrow_schema(QARecord), check_metadata=False)
    assert from_table(table, QARecord) == recs


def test_page_and_candidate_round_trip():
    page = Page(id="p", url="http://h/a", final_url="http://h/a", root_url="http://h/", depth=1, status=200,
                content_type="text/html", fetched_at=datetime(2026, 1, 1, tzinfo=UTC), out_links=[Link(url="http://h/b", text="B")])
    cand = Candidate(id="c", type="count", miner="count", root_url="http://h/", source_urls=["http://h/a"],
                     evidence=[Evidence(url="http://h/a", text="x")], answer="3", hops=1)
    assert from_table(to_table([page], Page), Page) == [page]
    assert from_table(to_table([cand], Candidate), Candidate) == [cand]


def test_schema_rejects_bad_rows():
    with pytest.raises(Exception):  # noqa: B017 - pydantic or arrow must refuse a wrong type
        _qa(hops="two")
    with pytest.raises(Exception):  # noqa: B017
        _qa(type="essay")
