"""The crawl's scratch store: one SQLite file in the crawl's work folder.

The crawl subprocess writes it (fetched pages with their HTML and links, extraction results,
redirect aliases, declared canonical URLs, rejects) through ``SpoolWriter``, a single writer thread,
so neither the reactor nor the extraction callbacks wait on disk. ``crawlers.finalize`` reads it
back page by page to write the shards in a deterministic order: memory stays flat whatever the
number of pages. Once the shards are written the file is deleted (``crawlers.run.crawl``): the
HTML is stored uncompressed, and everything in the spool is in the shards.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Pages (with their HTML) waiting for the spool's writer thread. Bounded: under a CPU-bound crawl the
# writer gets the GIL rarely, and an unbounded queue kept every page's HTML until the crawl ended.
SPOOL_QUEUE = 64

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS fetch (
    key TEXT PRIMARY KEY, root INTEGER, depth INTEGER, url TEXT, final_url TEXT, status INTEGER,
    content_type TEXT, fetched_at TEXT, site TEXT, encoding TEXT, links BLOB, html BLOB
);
CREATE TABLE IF NOT EXISTS extract (key TEXT PRIMARY KEY, ok INTEGER, reason TEXT, detail TEXT, data BLOB);
CREATE TABLE IF NOT EXISTS alias (src TEXT PRIMARY KEY, dst TEXT);
CREATE TABLE IF NOT EXISTS canonical (key TEXT PRIMARY KEY, target TEXT);
CREATE TABLE IF NOT EXISTS reject (
    stage TEXT, reason TEXT, key TEXT, url TEXT, root INTEGER, detail TEXT,
    PRIMARY KEY (stage, reason, key)
);
"""


@dataclass
class FetchRow:
    key: str
    root: int
    depth: int
    url: str
    final_url: str
    status: int
    content_type: str
    fetched_at: str
    site: str
    encoding: str
    links: bytes  # packed (``crawlers.frontier.unpack_links`` reads them)


def connect(path: Path | str) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), check_same_thread=False)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.executescript(SCHEMA)
    return con


class SpoolWriter:
    """Queue + one thread that owns the connection; ``close()`` drains and commits."""

    _STOP = object()

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._q: queue.Queue = queue.Queue(maxsize=SPOOL_QUEUE)  # a full queue waits for the writer
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="crawlqa-spool", daemon=True)
        self._con = connect(self.path)
        self._thread.start()

    # -- producers (any thread) ------------------------------------------------------------------
    def put_fetch(self, item: dict) -> None:
        self._q.put(("fetch", item))

    def put_extract(self, key: str, result: dict) -> None:
        self._q.put(("extract", key, result))

    def put_alias(self, src: str, dst: str) -> None:
        self._q.put(("alias", src, dst))

    def put_canonical(self, key: str, target: str) -> None:
        self._q.put(("canonical", key, target))

    def put_reject(self, stage: str, reason: str, key: str, url: str, root: int, detail: str) -> None:
        self._q.put(("reject", stage, reason, key, url, root, detail))

    def close(self) -> None:
        self._q.put(self._STOP)
        self._thread.join()
        self._con.close()
        if self._error is not None:
            raise RuntimeError(f"spool writer failed: {self._error!r}") from self._error

    # -- the writer thread -------------------------------------------------------------------------
    def _write(self, op: tuple) -> None:
        kind = op[0]
        c = self._con
        if kind == "fetch":
            it = op[1]
            # stored as it is: compressing it here or in a worker cost more CPU than the crawl's time
            # allows (zlib: 0.26 ms a page, and 0.13 ms to read it back); the file is scratch
            html = it["html"].encode("utf-8", "surrogatepass")
            c.execute(
                "INSERT OR REPLACE INTO fetch VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (it["key"], it["root"], it["depth"], it["url"], it["final_url"], it["status"],
                 it["content_type"], it["fetched_at"], it["site"], it["encoding"],
                 it["links"], html),  # links: packed by the spider (``crawlers.frontier.pack_links``)
            )
        elif kind == "extract":
            _, key, r = op
            c.execute("INSERT OR REPLACE INTO extract VALUES (?,?,?,?,?)",
                      (key, int(bool(r.get("ok"))), r.get("reason", ""), r.get("detail", ""), r.get("data")))
        elif kind == "alias":
            c.execute("INSERT OR REPLACE INTO alias VALUES (?,?)", op[1:])
        elif kind == "canonical":
            c.execute("INSERT OR REPLACE INTO canonical VALUES (?,?)", op[1:])
        elif kind == "reject":
            c.execute("INSERT OR IGNORE INTO reject VALUES (?,?,?,?,?,?)", op[1:])

    def _run(self) -> None:
        pending = 0
        while True:
            try:
                op = self._q.get(timeout=0.5)
            except queue.Empty:
                if pending:
                    self._con.commit()
                    pending = 0
                continue
            if op is self._STOP:
                self._con.commit()
                return
            try:
                self._write(op)
            except Exception as exc:  # keep draining so producers never block; close() raises
                if self._error is None:
                    log.exception("spool write failed")
                    self._error = exc
            pending += 1
            if pending >= 200:
                self._con.commit()
                pending = 0


class Spool:
    """Read side (used after the crawl subprocess has exited)."""

    def __init__(self, path: Path | str) -> None:
        self.con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def fetches(self) -> Iterator[FetchRow]:
        cur = self.con.execute(
            "SELECT key, root, depth, url, final_url, status, content_type, fetched_at, site, "
            "encoding, links FROM fetch ORDER BY key")
        for row in cur:
            yield FetchRow(*row)

    def html(self, key: str) -> str:
        row = self.con.execute("SELECT html FROM fetch WHERE key=?", (key,)).fetchone()
        return row[0].decode("utf-8", "surrogatepass") if row else ""

    def extraction(self, key: str) -> tuple[bool, str, str, bytes | None] | None:
        row = self.con.execute("SELECT ok, reason, detail, data FROM extract WHERE key=?", (key,)).fetchone()
        return (bool(row[0]), row[1], row[2], row[3]) if row else None

    def aliases(self) -> dict[str, str]:
        return dict(self.con.execute("SELECT src, dst FROM alias ORDER BY src"))

    def canonicals(self) -> dict[str, str]:
        """Fetched page key -> the canonical key it declared (``<link rel="canonical">``)."""
        return dict(self.con.execute("SELECT key, target FROM canonical ORDER BY key"))

    def rejects(self) -> list[tuple[str, str, str, str, int, str]]:
        return list(self.con.execute(
            "SELECT stage, reason, key, url, root, detail FROM reject ORDER BY stage, reason, url, key"))
