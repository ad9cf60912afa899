"""Atomic, rotating Parquet shards with an explicit schema.

A shard is written to a hidden temporary name in the same folder, fsynced, then renamed to
``part-NNNNN.parquet``: a killed writer leaves only complete shards (and maybe a temp file that the
next writer removes). Rows are written in the order given, so the same input gives the same bytes.

Rows stream into the open temporary file one row group at a time (``ROW_GROUP_ROWS``), so a
writer holds at most two row groups in memory however large its shards are: the one it is filling,
and the one a background thread is compressing and writing meanwhile (pyarrow releases the GIL).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel

from schemas.arrow import LARGE_COLUMNS, arrow_schema

SHARD_GLOB = "part-*.parquet"
TMP_PREFIX = ".tmp-"
ROW_GROUP_ROWS = 1_000
_OPEN_TEMPS: set[Path] = set()   # temp files this process is writing right now (never cleaned)


@dataclass(frozen=True)
class ShardInfo:
    """A finished shard: its path relative to the run folder, row count and content checksum."""

    path: str
    rows: int
    sha256: str
    bytes: int

    def to_dict(self) -> dict:
        return asdict(self)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def shard_problem(base: Path | str, info: ShardInfo | dict) -> str | None:
    """Why the shard a stage marker lists does not match what is on disk (None: it matches).

    ``info``: the shard's ``path`` (relative to ``base``, the run folder), ``bytes`` and ``sha256``
    as recorded when it was written. Checked: the file exists, has that size and that checksum (the
    checksum covers the rows)."""
    d = info.to_dict() if isinstance(info, ShardInfo) else info
    try:
        path, size, digest = Path(base) / str(d["path"]), int(d["bytes"]), str(d["sha256"])
    except (KeyError, TypeError, ValueError) as exc:
        return f"bad shard entry {d!r}: {exc!r}"[:300]
    try:
        actual = path.stat().st_size
    except FileNotFoundError:
        return f"{d['path']}: missing"
    except OSError as exc:
        return f"{d['path']}: {exc.strerror or exc}"
    if actual != size:
        return f"{d['path']}: {actual} bytes, {size} recorded"
    try:
        if file_sha256(path) != digest:
            return f"{d['path']}: sha256 differs from the recorded one"
    except OSError as exc:
        return f"{d['path']}: {exc.strerror or exc}"
    return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_temp_files(folder: Path) -> int:
    """Remove temporary files that dead writers left behind (``.tmp-<pid>-…``); return how many.

    A temp file of a live process (another writer in the same folder) is left alone."""
    n = 0
    if folder.is_dir():
        for tmp in folder.glob(f"{TMP_PREFIX}*"):
            pid = tmp.name[len(TMP_PREFIX):].split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and _pid_alive(int(pid)):
                continue
            if tmp.resolve() in _OPEN_TEMPS:  # another writer of this process, still writing
                continue
            tmp.unlink(missing_ok=True)
            n += 1
    return n


_WRITER: dict[int, ThreadPoolExecutor] = {}


def _writer_thread() -> ThreadPoolExecutor:
    """The one thread of this process that writes row groups, shared by every ``ShardWriter``.

    One thread for the process's life rather than one per writer, as pyarrow's allocator (mimalloc)
    keeps freed memory per thread (see ``_release_memory``). Writers queue on it in the order they
    hand their row groups over. Keyed by process id: a forked child does not inherit the thread, so
    it starts its own."""
    pid = os.getpid()
    if pid not in _WRITER:
        _WRITER.clear()
        _WRITER[pid] = ThreadPoolExecutor(1, thread_name_prefix="crawlqa-shards")
    return _WRITER[pid]


def _release_memory() -> None:
    """Return the memory pyarrow freed to the system, in the writer thread and in this one.

    mimalloc keeps freed blocks in the heap of the thread that allocated them: without this, the
    row groups written in the background stayed with the job process (bench_e2e, 969 pages: peak
    PSS of the mine stage 355 MB, 310 MB with it; 317 MB when rows were written in the caller)."""
    pool = pa.default_memory_pool()
    writer = _WRITER.get(os.getpid())
    if writer is not None:
        writer.submit(pool.release_unused).result()
    pool.release_unused()


def _write_row_group(writer: pq.ParquetWriter, table: pa.Table) -> None:
    """Append ``table`` as one row group, in the writer thread, then return the memory it freed
    (see ``_release_memory``): a 6,043-page crawl's finalize peaked at 282 MB without it, 240 MB
    with it (246 MB when rows were written in the caller), at no measurable cost in time."""
    writer.write_table(table, row_group_size=len(table))
    pa.default_memory_pool().release_unused()


class ShardWriter:
    """Write records of one model to ``folder/part-NNNNN.parquet``, rotating every ``rows_per_shard``.

    Use as a context manager; ``close()`` finishes the last partial shard. ``shards`` lists what was
    written. ``relative_to`` sets the base for the paths in ``ShardInfo`` (the run folder).

    Memory is bounded by two row groups (``row_group_rows``): full row groups are appended to the
    shard's open temporary file by a background thread while the next one fills (one at a time, in
    order; an error surfaces at the next write, ``flush`` or ``close``). The file becomes
    ``part-NNNNN.parquet`` (fsync + rename) when the shard is full or the writer closes. A failure
    or a kill never publishes a partial shard.
    """

    def __init__(
        self,
        folder: Path | str,
        model: type[BaseModel],
        *,
        rows_per_shard: int = 50_000,
        start_index: int = 0,
        relative_to: Path | str | None = None,
        compression_level: int = 3,
        row_group_rows: int = ROW_GROUP_ROWS,
    ) -> None:
        if rows_per_shard < 1 or row_group_rows < 1:
            raise ValueError("rows_per_shard and row_group_rows must be >= 1")
        self.folder = Path(folder)
        self.model = model
        self.schema = arrow_schema(model)
        self.rows_per_shard = rows_per_shard
        self.row_group_rows = min(row_group_rows, rows_per_shard)
        self.index = start_index
        self.base = Path(relative_to) if relative_to else self.folder.parent
        self.level = compression_level
        self.shards: list[ShardInfo] = []
        self._buffer: list[dict] = []
        self._pq: pq.ParquetWriter | None = None   # the shard being written (its temp file)
        self._tmp: Path | None = None
        self._pending: Future | None = None        # the row group being written in the background
        self._rows = 0                              # rows of the current shard (written + buffered)
        self.folder.mkdir(parents=True, exist_ok=True)
        clean_temp_files(self.folder)

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:  # never publish a shard from a failed run; the current shard is lost, earlier shards stay
            self.abort()

    @property
    def rows_written(self) -> int:
        return sum(s.rows for s in self.shards)

    def write(self, record: BaseModel) -> None:
        if not isinstance(record, self.model):
            raise TypeError(f"expected {self.model.__name__}, got {type(record).__name__}")
        self._buffer.append(record.model_dump(mode="python"))
        self._rows += 1
        if len(self._buffer) >= self.row_group_rows:
            self._write_group()
        if self._rows >= self.rows_per_shard:
            self.flush()

    def write_all(self, records: Iterable[BaseModel]) -> None:
        for r in records:
            self.write(r)

    def flush(self) -> ShardInfo | None:
        """Publish the current shard (whatever it holds) now; None when it is empty."""
        self._write_group()
        if self._pq is None:
            return None
        return self._publish()

    def close(self) -> list[ShardInfo]:
        self.flush()
        _release_memory()
        return self.shards

    def abort(self) -> None:
        """Drop the shard in progress (its temp file); published shards stay."""
        self._buffer.clear()
        self._rows = 0
        if self._pending is not None:
            with contextlib.suppress(BaseException):  # the shard is dropped: its write error changes nothing
                self._pending.result()
            self._pending = None
        if self._pq is not None:
            with contextlib.suppress(Exception):  # the file is deleted next: a close error changes nothing
                self._pq.close()
            self._pq = None
        if self._tmp is not None:
            _OPEN_TEMPS.discard(self._tmp.resolve())
            self._tmp.unlink(missing_ok=True)
            self._tmp = None

    @property
    def _final(self) -> Path:
        """Where the shard being written is published."""
        return self.folder / f"part-{self.index:05d}.parquet"

    @contextlib.contextmanager
    def _or_abort(self) -> Iterator[None]:
        """A step of the shard in progress: on any failure the shard is dropped (an OSError names it)."""
        try:
            yield
        except OSError as e:
            self.abort()
            raise _naming(e, self._final) from e
        except BaseException:
            self.abort()
            raise

    def _write_group(self) -> None:
        if not self._buffer:
            return
        table = pa.Table.from_pylist(self._buffer, schema=self.schema)
        self._buffer = []
        with self._or_abort():
            self._written()
            if self._pq is None:
                self._open(table.column_names)
            assert self._pq is not None
            self._pending = _writer_thread().submit(_write_row_group, self._pq, table)

    def _written(self) -> None:
        """Wait for the row group being written in the background; its error is raised here."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def _open(self, columns: list[str]) -> None:
        self._tmp = _temp_for(self._final)
        _OPEN_TEMPS.add(self._tmp.resolve())
        large = [c for c in columns if c in LARGE_COLUMNS]
        self._pq = pq.ParquetWriter(
            self._tmp, self.schema, compression="zstd",
            compression_level={c: (9 if c in large else self.level) for c in columns},
            use_dictionary=[c for c in columns if c not in large], write_statistics=True,
        )

    def _publish(self) -> ShardInfo:
        assert self._pq is not None and self._tmp is not None
        final, tmp = self._final, self._tmp
        with self._or_abort():
            self._written()
            self._pq.close()
            self._pq = None
            _commit(tmp, final)
        _OPEN_TEMPS.discard(tmp.resolve())
        self._tmp = None
        rows, self._rows = self._rows, 0
        info = ShardInfo(
            path=str(final.relative_to(self.base)) if final.is_relative_to(self.base) else str(final),
            rows=rows, sha256=file_sha256(final), bytes=final.stat().st_size,
        )
        self.shards.append(info)
        self.index += 1
        return info


def _naming(e: OSError, shard: Path) -> OSError:
    """The same error, saying which shard it hit (disk full: ``OSError: [Errno 28] … (shard …)``)."""
    msg = f"{e.strerror or e} (writing shard {shard})"
    return OSError(e.errno, msg) if e.errno else OSError(f"{e} (writing shard {shard})")


def atomic_write_parquet(table: pa.Table, final: Path, **write_options) -> None:
    """Write ``table`` to ``final`` atomically: a hidden temp file in the same folder, fsync, rename,
    fsync of the folder. A failure (disk full, a kill) never leaves a partial ``final``."""
    tmp = _temp_for(final)
    try:
        pq.write_table(table, tmp, **write_options)
        _commit(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _temp_for(final: Path) -> Path:
    """The hidden temp name ``final`` is written under (``clean_temp_files`` knows it by its prefix and pid)."""
    return final.parent / f"{TMP_PREFIX}{os.getpid()}-{final.name}"


def _commit(tmp: Path, final: Path) -> None:
    """Make a finished temp file ``final``: fsync it, rename it into place, fsync the folder."""
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    _fsync_dir(final.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def shard_paths(folder: Path | str) -> list[Path]:
    """Complete shards of a folder, in index order."""
    folder = Path(folder)
    return sorted(folder.glob(SHARD_GLOB)) if folder.is_dir() else []


def read_table(folder: Path | str, model: type[BaseModel], columns: list[str] | None = None) -> pa.Table:
    """All shards of a folder as one table with the model's schema (empty table when none)."""
    schema = arrow_schema(model)
    paths = shard_paths(folder)
    if not paths:
        return schema.empty_table() if columns is None else schema.empty_table().select(columns)
    tables = [pq.read_table(p, columns=columns, schema=schema) for p in paths]
    return pa.concat_tables(tables)


def iter_records(folder: Path | str, model: type[BaseModel], batch_size: int = 1024) -> Iterator[BaseModel]:
    """Stream records of a folder's shards, one shard and one batch at a time."""
    for path in shard_paths(folder):
        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(batch_size=batch_size):
            for row in batch.to_pylist():
                yield model.model_validate(row)


def iter_sorted_records(folder: Path | str, model: type[BaseModel], key: str = "id",
                        batch_size: int = 256) -> Iterator[BaseModel]:
    """Every record of a folder's shards in ``key`` order (ties: shard order, then row order).

    A k-way merge: a shard whose rows are already in ``key`` order (the writers sort what they
    write) is streamed one batch at a time, so memory is one batch per shard; a shard that is not
    in order is sorted on its own (one shard in memory), never the whole folder."""
    import heapq
    from operator import attrgetter

    streams = [_sorted_shard(p, model, key, batch_size) for p in shard_paths(folder)]
    yield from heapq.merge(*streams, key=attrgetter(key))


def _sorted_shard(path: Path, model: type[BaseModel], key: str, batch_size: int) -> Iterator[BaseModel]:
    pf = pq.ParquetFile(path)
    keys = pf.read(columns=[key]).column(key).to_pylist()
    if all(a <= b for a, b in itertools.pairwise(keys)):
        batches = pf.iter_batches(batch_size=batch_size)
    else:
        batches = pf.read().sort_by(key).to_batches(max_chunksize=batch_size)
    del keys
    for batch in batches:
        for row in batch.to_pylist():
            yield model.model_validate(row)


def shard_index(path: Path) -> int | None:
    """The NNNNN of ``part-NNNNN.parquet`` (None for a name of another form)."""
    try:
        return int(path.stem.split("-")[1])
    except (IndexError, ValueError):
        return None


def remove_shards(folder: Path | str, lo: int, hi: int) -> int:
    """Delete the complete shards of ``folder`` whose index is in ``[lo, hi)``; return how many.

    Stages own index blocks in shared folders (``rejects/``): a redone stage clears only its block."""
    n = 0
    for p in shard_paths(folder):
        idx = shard_index(p)
        if idx is not None and lo <= idx < hi:
            p.unlink()
            n += 1
    return n


def count_rows(folder: Path | str) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in shard_paths(folder))
