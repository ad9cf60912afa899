"""The filter base every filter uses: a verdict, counters and rejects with their reason.

A filter implements only ``check(record) -> Verdict`` (and may declare the QA types it applies to).
``FilterChain`` runs filters in order, counts ``filter/total``, ``filter/kept`` and
``filter/dropped/<filter>/<reason>``, and turns every drop into a ``Reject`` row (stage ``filter``,
reason ``<filter>/<reason>``) handed to a sink (usually a rejects ``ShardWriter``).

Adding a filter touches one file: subclass ``Filter`` in a module of this package, decorate it with
``@register``, give it an ``order`` (cheap checks first) and a ``from_config`` when it needs settings;
``filters.build_filters`` discovers it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from pipelines.counters import Counters
from schemas.ids import reject_id
from schemas.records import QARecord, Reject

if TYPE_CHECKING:
    from filters.config import FilterConfig


@dataclass(frozen=True)
class Verdict:
    keep: bool
    reason: str = ""
    detail: str = ""
    dup_of: str = ""


KEEP = Verdict(True)


def drop(reason: str, detail: str = "", dup_of: str = "") -> Verdict:
    return Verdict(False, reason, detail, dup_of)


class FilterError(RuntimeError):
    """A filter raised on a record: a programming error, reported with the filter and record id."""


class Filter:
    """A single-purpose check of a QA record. Subclasses set ``name`` and implement ``check``.

    ``applies_to``: the QA types the filter checks (None = all); other records pass untouched.
    ``order``: position in the chain built by ``build_filters`` (lower runs first; cheap first).
    ``reasons``: every reason ``check`` can return (documentation; tests assert against it).
    """

    name: ClassVar[str] = "filter"
    stage: ClassVar[str] = "filter"
    order: ClassVar[int] = 100
    applies_to: ClassVar[frozenset[str] | None] = None
    reasons: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_config(cls, cfg: FilterConfig, *, links: Mapping[str, set[str]] | None = None) -> Filter | None:
        """Build the filter from the config (None = disabled by this config)."""
        return cls()

    def applies(self, record: QARecord) -> bool:
        return self.applies_to is None or record.type in self.applies_to

    def check(self, record: QARecord) -> Verdict:  # pragma: no cover - interface
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


REGISTRY: dict[str, type[Filter]] = {}


def register(cls: type[Filter]) -> type[Filter]:
    """Class decorator: make a filter known to ``build_filters`` (names are unique)."""
    other = REGISTRY.get(cls.name)
    if other is not None and other is not cls and other.__qualname__ != cls.__qualname__:
        raise ValueError(f"filter name {cls.name!r} registered twice ({other.__name__}, {cls.__name__})")
    REGISTRY[cls.name] = cls
    return cls


RejectSink = Callable[[Reject], None]


def reject_for(
    record: QARecord, *, stage: str, reason: str, detail: str = "", dup_of: str = "", run_id: str = ""
) -> Reject:
    """The reject row of a dropped QA record (the record itself travels as ``payload_json``)."""
    return Reject(
        id=reject_id(stage, reason, record.id), stage=stage, reason=reason, detail=detail,
        record_id=record.id, url=record.source_urls[0] if record.source_urls else record.root_url,
        dup_of=dup_of, run_id=run_id or record.run_id,
        payload_json=json.dumps(record.model_dump(mode="json"), ensure_ascii=False),
    )


def make_reject(stage: str, filter_name: str, verdict: Verdict, record: QARecord, run_id: str = "") -> Reject:
    return reject_for(
        record, stage=stage, reason=f"{filter_name}/{verdict.reason}", detail=verdict.detail,
        dup_of=verdict.dup_of, run_id=run_id,
    )


class FilterChain:
    """Apply filters in order; the first drop wins and becomes a counted, written reject.

    Counters: ``filter/total``, ``filter/kept``, ``filter/dropped/<filter>/<reason>``.
    ``funnel()`` gives the per-filter funnel (in / dropped / out) in chain order.
    """

    def __init__(
        self, filters: Iterable[Filter], counters: Counters, sink: RejectSink | None = None, *, run_id: str = ""
    ) -> None:
        self.filters = list(filters)
        names = [f.name for f in self.filters]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate filter names in chain: {names}")
        self.counters = counters
        self.sink = sink
        self.run_id = run_id

    def verdict(self, record: QARecord) -> tuple[Filter | None, Verdict]:
        for f in self.filters:
            if not f.applies(record):
                continue
            try:
                v = f.check(record)
            except Exception as exc:  # a bug in a filter: fail loudly, with context
                raise FilterError(f"filter {f.name!r} raised on record {record.id}: {exc!r}") from exc
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
                self.sink(make_reject(f.stage, f.name, v, rec, self.run_id))

    def funnel(self) -> list[dict]:
        """Rows ``{"filter", "in", "dropped", "out", "reasons"}`` in chain order, from the counters."""
        remaining = self.counters.get("filter/total")
        rows = []
        for f in self.filters:
            reasons = self.counters.scope(f"{f.stage}/dropped/{f.name}")
            dropped = sum(reasons.values())
            rows.append({"filter": f.name, "in": remaining, "dropped": dropped,
                         "out": remaining - dropped, "reasons": reasons})
            remaining -= dropped
        return rows
