"""Content-addressed LLM response cache on disk (SQLite).

key = sha256 of the canonical JSON of everything that determines the answer: model, messages,
temperature, max_tokens and response_format (the JSON schema included). The value is the answer the
model gave (content, finish reason, usage, model). Only answers that parsed and validated are stored:
a failure is never cached, so a re-run asks again.

One SQLite file may be shared by several processes (parallel write shards): WAL mode and a busy
timeout make concurrent readers/writers safe. The API key is never part of a key or a value.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

CACHE_FORMAT = 1
log = logging.getLogger("crawlqa.llm")


def canonical_json(payload: dict[str, Any]) -> str:
    """The request payload as canonical JSON (sorted keys, no spaces): hashed for the key, sent as body."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def key_of(canonical: str) -> str:
    return hashlib.sha256(f"v{CACHE_FORMAT}:{canonical}".encode()).hexdigest()


def cache_key(payload: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a request payload (model, messages, parameters)."""
    return key_of(canonical_json(payload))


class ResponseCache:
    """``get(key) -> dict | None``, ``put(key, value)``; ``path=None`` keeps it in memory.

    Every answer is committed as it arrives by default (``flush_every=1``: a commit costs ~60 µs, nothing
    next to an LLM call), so a run killed with SIGKILL never pays again for an answer it received.
    ``flush_every > 1`` batches commits (a crash then loses up to that many answers or
    ``flush_seconds`` of them, which a resumed run asks again).
    """

    def __init__(self, path: Path | str | None = None, *, flush_every: int = 1, flush_seconds: float = 1.0) -> None:
        self.path = Path(path) if path is not None else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.corrupt = 0  # rows that could not be read back (each one a miss, asked again)
        try:
            self._db: sqlite3.Connection | None = self._open()
        except sqlite3.DatabaseError as exc:  # not a database any more: keep it aside, start afresh
            if self.path is None:
                raise
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            log.warning("llm cache %s is unreadable (%s): moved to %s, starting an empty cache",
                        self.path, exc, aside.name)
            for suffix in ("", "-wal", "-shm"):
                src = Path(f"{self.path}{suffix}")
                if src.exists():
                    src.replace(f"{aside}{suffix}")
            self._db = self._open()
        self._pending: dict[str, tuple[str, str, str, float]] = {}
        self._flush_every = max(1, flush_every)
        self._flush_seconds = flush_seconds
        self._last_flush = time.monotonic()
        self.hits = 0
        self.misses = 0
        self.writes = 0

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path) if self.path is not None else ":memory:",
                             timeout=30.0, isolation_level=None, check_same_thread=False)
        try:
            if self.path is not None:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS responses ("
                " key TEXT PRIMARY KEY, model TEXT NOT NULL, mode TEXT NOT NULL DEFAULT '',"
                " value TEXT NOT NULL, created REAL NOT NULL)")
        except BaseException:
            db.close()
            raise
        return db

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored answer, or None (a miss). A row that cannot be read back (not JSON, not an
        object, a damaged database page) is a miss too: counted in ``corrupt``, logged once, and
        replaced when the answer is stored again."""
        with self._lock:
            if self._db is None:
                raise RuntimeError("cache is closed")
            pending = self._pending.get(key)
            try:
                row = (pending[2],) if pending else self._db.execute(
                    "SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
            except sqlite3.DatabaseError as exc:
                return self._corrupt(key, exc)
        if row is None:
            self.misses += 1
            return None
        try:
            value = json.loads(row[0])
        except (TypeError, ValueError) as exc:
            return self._corrupt(key, exc)
        if not isinstance(value, dict):
            return self._corrupt(key, TypeError(f"a JSON {type(value).__name__}, not an object"))
        self.hits += 1
        return value

    def _corrupt(self, key: str, exc: Exception) -> None:
        self.corrupt += 1
        self.misses += 1
        if self.corrupt == 1:
            log.warning("llm cache %s: unreadable entry %s… (%s): asked again (further ones are counted)",
                        self.path or ":memory:", key[:12], str(exc)[:200])
        return None

    def put(self, key: str, value: dict[str, Any], *, model: str = "", mode: str = "") -> None:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        with self._lock:
            if self._db is None:
                raise RuntimeError("cache is closed")
            self._pending[key] = (model, mode, text, time.time())
            self.writes += 1
            if len(self._pending) >= self._flush_every or time.monotonic() - self._last_flush > self._flush_seconds:
                self._flush_locked()

    def flush(self) -> None:
        with self._lock:
            if self._db is not None:
                self._flush_locked()

    def _flush_locked(self) -> None:
        assert self._db is not None
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        rows = [(k, *v) for k, v in self._pending.items()]
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO responses (key, model, mode, value, created) VALUES (?, ?, ?, ?, ?)", rows)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        self._pending.clear()

    def has(self, *, model: str, mode: str) -> bool:
        """Whether any answer of ``model`` in structured ``mode`` is stored (skips hopeless lookups)."""
        with self._lock:
            if self._db is None:
                raise RuntimeError("cache is closed")
            if any(v[0] == model and v[1] == mode for v in self._pending.values()):
                return True
            try:
                return self._db.execute("SELECT 1 FROM responses WHERE model = ? AND mode = ? LIMIT 1",
                                        (model, mode)).fetchone() is not None
            except sqlite3.DatabaseError:  # a damaged page: look up each key (get() treats it as a miss)
                return True

    @property
    def closed(self) -> bool:
        return self._db is None

    def __len__(self) -> int:
        with self._lock:
            if self._db is None:
                return 0
            self._flush_locked()
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                try:
                    self._flush_locked()
                finally:
                    self._db.close()
                    self._db = None

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
