"""Namespaced counters (``crawl/http_404``, ``filter/dropped/question_form/no_question_mark``).

One object per run, passed to every stage; saved once in the manifest.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping


class Counters:
    """Thread-safe counter map with ``/``-namespaced keys."""

    def __init__(self, initial: Mapping[str, int] | None = None) -> None:
        self._c: Counter[str] = Counter(initial or {})
        self._lock = threading.Lock()

    def inc(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._c[key] += n

    def merge(self, other: Mapping[str, int] | Counters, prefix: str = "") -> None:
        items = other.to_dict().items() if isinstance(other, Counters) else other.items()
        with self._lock:
            for k, v in items:
                self._c[f"{prefix}{k}"] += int(v)

    def get(self, key: str) -> int:
        return self._c.get(key, 0)

    def scope(self, prefix: str) -> dict[str, int]:
        """Counters under ``prefix/`` with the prefix removed."""
        p = prefix.rstrip("/") + "/"
        return {k[len(p):]: v for k, v in sorted(self._c.items()) if k.startswith(p)}

    def to_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._c.items()))

    def __repr__(self) -> str:
        return f"Counters({self.to_dict()!r})"
