"""The writer interface shared by the offline template writer and the LLM writer.

A writer receives candidates (evidence + program-computed answer) and returns, per candidate, either
a question or a reject reason. It never changes a program-computed answer. The one exception is a
page-pair proposal (candidate type ``proposed``, empty answer): the LLM writer returns the checked
proposed answer and its verbatim quotes in ``Written.proposal`` (a :class:`Proposed`); ``Written`` has
no answer of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from schemas.records import Candidate, Evidence


@dataclass(frozen=True)
class Proposed:
    """A checked page-pair proposal: the model's answer, its quotes as evidence, details for meta_json."""

    answer: str
    evidence: list[Evidence]
    meta: dict = field(default_factory=dict)


@dataclass
class Written:
    """The writer's result for one candidate: ``question`` or a ``reject_reason`` (with raw text)."""

    candidate: Candidate
    question: str | None = None
    reject_reason: str = ""
    detail: str = ""
    raw: str = ""
    extra: dict = field(default_factory=dict)
    proposal: Proposed | None = None  # page-pair proposals only (candidate type "proposed")

    @property
    def ok(self) -> bool:
        return self.question is not None and not self.reject_reason


class Writer(Protocol):
    name: str            # 'template' or the model name; stored as QARecord.writer
    prompt_version: str  # stored as QARecord.prompt_version

    def write(self, candidates: Iterable[Candidate]) -> list[Written]:
        """Word a batch of candidates; the result list is in the input order."""
        ...
