"""Token ledger: per stage, what the LLM cost and how it answered; ``to_dict()`` goes in the manifest.

Per stage::

    requests            logical requests (one per LLMRequest)
    calls               HTTP requests we sent (a 429 re-send counts again; the openai client's own
                        retries of a 5xx/timeout inside one call do not, see ``server_errors``)
    cache_hits          requests answered from the cache (no call, no tokens)
    ok                  requests that returned a parsed answer
    prompt_tokens, completion_tokens
    rate_limited        HTTP 429 answers received
    server_errors       5xx/408/409 answers received (most are retried by the openai client)
    failures            {error: n} of the requests that did not return an answer
    answers             {"model|prompt_version": n} fresh answers received (HTTP 200)
    parse_failures      {"model|prompt_version": n} of those that were empty, a refusal, truncated,
                        unparseable or violated the schema

The table is flat (numbers, or dicts of numbers) so shard ledgers can be summed; rates are derived
with :func:`parse_failure_rates`, never summed.
"""

from __future__ import annotations

import threading
from typing import Any

PARSE_ERRORS = frozenset({"empty", "refusal", "truncated", "parse_error", "schema_violation"})

_COUNTERS = ("requests", "calls", "cache_hits", "ok", "prompt_tokens", "completion_tokens",
             "rate_limited", "server_errors")
_MAPS = ("failures", "answers", "parse_failures")


def _new_row() -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(_COUNTERS, 0)
    for m in _MAPS:
        row[m] = {}
    return row


def answer_key(model: str, prompt_version: str) -> str:
    return f"{model}|{prompt_version or '-'}"


class TokenLedger:
    """Thread-safe per-stage counters of calls, cache hits, tokens and failures."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stages: dict[str, dict[str, Any]] = {}

    def _row(self, stage: str) -> dict[str, Any]:
        row = self._stages.get(stage)
        if row is None:
            row = self._stages[stage] = _new_row()
        return row

    def add(self, stage: str, **counts: int) -> None:
        """Add to the plain counters of a stage (``calls=1``, ``prompt_tokens=123`` ...)."""
        with self._lock:
            row = self._row(stage)
            for k, v in counts.items():
                if k not in _COUNTERS:
                    raise KeyError(f"unknown ledger counter {k!r}")
                row[k] += int(v)

    def usage(self, stage: str, prompt_tokens: int, completion_tokens: int) -> None:
        self.add(stage, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)

    def failure(self, stage: str, error: str) -> None:
        with self._lock:
            f = self._row(stage)["failures"]
            f[error] = f.get(error, 0) + 1

    def answer(self, stage: str, model: str, prompt_version: str, error: str = "") -> None:
        """A fresh answer of ``model`` to a ``prompt_version`` prompt; ``error`` when it did not parse."""
        k = answer_key(model, prompt_version)
        with self._lock:
            row = self._row(stage)
            row["answers"][k] = row["answers"].get(k, 0) + 1
            if error in PARSE_ERRORS:
                row["parse_failures"][k] = row["parse_failures"].get(k, 0) + 1

    def total_tokens(self) -> int:
        with self._lock:
            return sum(r["prompt_tokens"] + r["completion_tokens"] for r in self._stages.values())

    def stage(self, stage: str) -> dict[str, Any]:
        with self._lock:
            row = self._stages.get(stage) or _new_row()
            return {k: (dict(v) if isinstance(v, dict) else v) for k, v in row.items()}

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """``{stage: row}`` for the manifest (a copy)."""
        with self._lock:
            return {s: {k: (dict(sorted(v.items())) if isinstance(v, dict) else v) for k, v in row.items()}
                    for s, row in sorted(self._stages.items())}

    def parse_stats(self) -> dict[str, dict[str, float]]:
        return parse_failure_rates(self.to_dict())

    def __repr__(self) -> str:
        return f"TokenLedger({self.to_dict()!r})"


def add_row(acc: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """Add one ledger row into ``acc`` (numbers summed, nested counts such as ``failures`` merged)."""
    for k, v in row.items():
        if isinstance(v, int | float):
            acc[k] = acc.get(k, 0) + v
        elif isinstance(v, dict):
            sub = acc.setdefault(k, {})
            for kk, vv in v.items():
                if isinstance(vv, int | float):
                    sub[kk] = sub.get(kk, 0) + vv
    return acc


def parse_failure_rates(tokens: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """``{"model|prompt_version": {answers, failures, rate}}`` from a ledger table (or a merged one)."""
    answers: dict[str, int] = {}
    failures: dict[str, int] = {}
    for row in tokens.values():
        for k, v in (row.get("answers") or {}).items():
            answers[k] = answers.get(k, 0) + int(v)
        for k, v in (row.get("parse_failures") or {}).items():
            failures[k] = failures.get(k, 0) + int(v)
    return {k: {"answers": n, "failures": failures.get(k, 0),
                "rate": round(failures.get(k, 0) / n, 4) if n else 0.0}
            for k, n in sorted(answers.items())}
