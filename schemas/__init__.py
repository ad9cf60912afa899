"""crawlqa record schemas: pydantic models for every stage boundary and their Arrow schemas."""

from schemas.arrow import arrow_schema, from_table, to_table
from schemas.ids import page_id, qa_id, reject_id, stable_hash
from schemas.records import (
    QA_TYPES,
    STAGE_MODELS,
    Candidate,
    Constraint,
    Enumeration,
    Evidence,
    Fact,
    LineageStep,
    Link,
    Page,
    QARecord,
    Reject,
)

__all__ = [
    "QA_TYPES", "STAGE_MODELS", "Candidate", "Constraint", "Enumeration", "Evidence", "Fact", "LineageStep", "Link",
    "Page", "QARecord", "Reject", "arrow_schema", "from_table", "page_id", "qa_id", "reject_id",
    "stable_hash", "to_table",
]
