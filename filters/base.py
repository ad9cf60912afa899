"""The filter base every filter uses: a verdict, counters and rejects with their reason.

A filter implements only ``check(record) -> Verdict``. ``FilterChain`` runs filters in order,
counts ``filter/total``, ``filter/kept`` and ``filter/dropped/<filter>/<reason>``, and turns every
drop into a ``Reject`` row (stage ``filter``) handed to a sink (usually a rejects ``ShardWriter``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar

from pipelines.counters import Counters
from schemas.ids import reject_id
from schemas.records import QARecord, Reject


@dataclass(frozen=True)
class Verdict:
    keep: bool
    reason: str = ""
    detail: str = ""
    dup_of: str = ""


KEEP = Verdict(True)


def drop(reason: str, detail: str = "", dup_of: str = "") -> Verdict:
    return Verdict(False, reason, detail, dup_of)


class Filter:
    """A single-purpose check of a QA record. Subclasses set ``name`` and implement ``check``."""

    name: ClassVar[str] = "filter"
    stage: ClassVar[str] = "filter"

    def check(self, record: QARecord) -> Verdict:  # pragma: no cover - interface
        raise NotImplementedError


RejectSink = Callable[[Reject], None]


def make_reject(stage: str, filter_name: str, verdict: Verdict, record: QARecord, run_id: str = "") -> Reject:
    reason = f"{filter_name}/{verdict.reason}"
    return Reject(
        id=reject_id(stage, reason, record.id), stage=stage, reason=reason, detail=verdict.detail,
        record_id=record.id, url=record.source_urls[0] if record.source_urls else record.root_url,
        dup_of=verdict.dup_of, run_id=run_id or record.run_id,
        payload_json=json.dumps(record.model_dump(mode="json"), ensure_ascii=False),
    )


class FilterChain:
    """Apply filters in order; the first drop wins and becomes a counted, written reject."""

    def __init__(self, filters: Iterable[Filter], counters: Counters, sink: RejectSink | None = None) -> None:
        self.filters = list(filters)
        self.counters = counters
        self.sink = sink

    def verdict(self, record: QARecord) -> tuple[Filter | None, Verdict]:
        for f in self.filters:
            v = f.check(record)
            if not v.keep:
                return f, v
        return None, KEEP

    def run(self, records: Iterable[QARecord]) -> Iterator[QARecord]:
        for rec in records:
            self.counters.inc("filter/total")
            f, v = self.verdict(rec)
            if f is None:
                self.counters.inc("filter/kept")
                yield rec
                continue
            self.counters.inc(f"{f.stage}/dropped/{f.name}/{v.reason}")
            if self.sink is not None:
                self.sink(make_reject(f.stage, f.name, v, rec))
