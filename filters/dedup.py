"""MinHash near-duplicate removal of questions, within a run and against every earlier run.

How a pair is judged
  1. Shingles of the normalised question (``FilterConfig.shingle``; default ``wchar3``: character
     3-grams inside each word, so word order does not matter and a typo or an inflection changes
     only a few shingles). Seeded MinHash (datasketch, ``affine32`` scheme, sha1 token hash), LSH
     with bands chosen so that a pair at the threshold is a candidate with probability >=
     ``dedup_min_recall`` (false candidates only cost time: they are verified next).
  2. Every LSH candidate is verified with the exact Jaccard of the two shingle sets (>= threshold).
  3. Guard (``dedup_guard``): templated questions about different things are near-identical in
     wording ("How many studio albums did Blur / Oasis release?"), so a pair whose words differ in
     a number, an ordinal, a key word (question word, before/after, not, more/most ...) or a named
     entity (capitalised word; one typo in a name of 6+ letters does not count) is *distinct*, not a duplicate; so is a
     pair that repeats a content word a different number of times (nested templates: "the album
     released just after the album released just after X" — order-free shingles cannot see it).
     Likewise a content word (not a function word) on one side with no spelling variant on the
     other ("How many labels / genres does X list?"): a near-duplicate differs from its original
     only in function words, spelling, inflection, punctuation and word order.
  4. Answer-aware: same answer -> ``near_duplicate`` (the later one by id is dropped, ``dup_of``
     names the kept one). Different answers for what the guard calls the same question ->
     ``answer_conflict``: the later one is dropped, and with ``dedup_on_conflict='drop_both'``
     (default) the earlier one too, because the wording does not determine the answer (both
     rejects name each other in ``dup_of``). Against an earlier run, only the new record can be
     dropped (the old one has shipped).

Determinism: ``run`` sorts the run's records by id (a barrier: the first-by-id rule needs all of
them) and keeps the first of each group; greedy, against kept records only. The output order is
id order.

Persistence (claim, then ``commit``): the kept records of the run are added to an index that the
next run queries, so a daily run never re-emits a question shipped before. Entries carry their run
id and owner (the run attempt, ``attempt_owner``); entries of the current owner are ignored (a
re-run of the same run is idempotent), ids already present are skipped. Runs that overlap (two run
ids on one ``--out``; one run id on two machines sharing Redis) ship each question once: between
its two passes a run, under the index's mutex, drops its records that duplicate what others claimed
since it opened the index, and claims the rest before any is emitted (``Index``); ``commit`` (after
the shards are written) makes the claims permanent, a run that ends without committing withdraws
them, and a dead run's claims lapse (local: its flock is gone; Redis: a lease, 1 h). Two stores:
  * local folder (``index_path``, e.g. ``DIR/.dedup/``): append-only Parquet segments (id, run id,
    question, answer, owner, signature), each written atomically (temp + fsync + rename); loaded into
    an in-memory datasketch ``MinHashLSH`` on open. No pickle: a segment written under other MinHash
    settings is re-signed from its question text. Claims are ``claim-*.parquet`` files renamed
    ``seg-*.parquet`` at commit; the mutex is ``flock`` on ``.lock``.
  * Redis (``redis_url``): datasketch ``MinHashLSH`` with ``storage_config={'type': 'redis', ...}``,
    basename keyed by the MinHash settings, plus a hash ``<prefix>:meta`` (id -> run id, question,
    answer, owner, lease). On open, entries in the meta hash missing from the LSH (another setting, a
    crash between the two writes) are re-inserted. Claimed ids are appended to ``<prefix>:log``; the
    mutex is redis-py's ``Lock`` on ``<prefix>:claim-lock``.
Redis wins when both are given.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

from filters.base import reject_for
from filters.config import FilterConfig
from filters.text import (
    KEY_EQUIV,
    KEY_WORDS,
    NUMBER_WORDS,
    STOPWORDS,
    answers_equal,
    norm_text,
    one_edit,
    similar_words,
    words,
)
from pipelines.counters import Counters
from schemas.ids import stable_hash
from schemas.records import QARecord, Reject

if TYPE_CHECKING:
    from datasketch import MinHash, MinHashLSH

log = logging.getLogger(__name__)

STAGE = "dedup"
SCHEME = "affine32"
SIGNATURE_VERSION = 1  # bump when normalisation or shingling changes: old signatures get recomputed

INDEX_SHINGLE_CACHE = 50_000  # index entries whose compact shingles the deduper keeps (~1 KB each)

Relation = Literal["duplicate", "conflict", "distinct"]


# ----------------------------------------------------------------------------------------------
# shingles and pair relations


@lru_cache(maxsize=1024)  # bounded: memory must not grow with the run
def shingles(text: str, kind: str = "wchar3") -> frozenset[str]:
    """Shingle set of a question after ``norm_text`` (see ``FilterConfig.shingle``)."""
    norm = norm_text(text)
    toks = norm.split()
    out: set[str] = set()
    if kind == "word":
        out.update(toks)
    elif kind == "word3":
        out.update(" ".join(toks[i:i + 3]) for i in range(max(1, len(toks) - 2)))
    elif kind.startswith("wchar"):
        k = int(kind[5:])
        for t in toks:
            p = f"<{t}>"
            if len(p) <= k:
                out.add(p)
            else:
                out.update(p[i:i + k] for i in range(len(p) - k + 1))
    elif kind.startswith("char"):
        k = int(kind[4:])
        out.update(norm[i:i + k] for i in range(max(1, len(norm) - k + 1)))
    else:
        raise ValueError(f"unknown shingle kind {kind!r}")
    out.discard("")
    return frozenset(out) if out else frozenset({"\x00empty"})


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    inter = len(a & b) if len(a) <= len(b) else len(b & a)
    return inter / (len(a) + len(b) - inter)


def compact(sh: frozenset[str]) -> np.ndarray:
    """A shingle set as a sorted array of 64-bit hashes (~8 bytes a shingle instead of ~100):
    what the deduper keeps of each representative. ``jaccard_compact`` on two of them equals
    ``jaccard`` on the sets unless two shingles collide in 64 bits."""
    hs = {int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little") for s in sh}
    return np.fromiter(sorted(hs), dtype=np.uint64, count=len(hs))


def jaccard_compact(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a) and not len(b):
        return 1.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / (len(a) + len(b) - inter)


@dataclass(frozen=True)
class _Profile:
    lower: frozenset[str]           # every word, casefolded (key words in their canonical spelling)
    exact: frozenset[str]           # numbers, number words, ordinals, key words: must match exactly
    entities: frozenset[str]        # capitalised words (named entities): a typo still matches
    content: Counter[str]           # non-stopwords with their counts


@lru_cache(maxsize=1024)  # bounded: memory must not grow with the run
def _profile(question: str) -> _Profile:
    lower: set[str] = set()
    exact: set[str] = set()
    entities: set[str] = set()
    content: Counter[str] = Counter()
    for t in words(question):
        lt = t.casefold()
        lt = KEY_EQUIV.get(lt, lt)
        lower.add(lt)
        if lt not in STOPWORDS:
            content[lt] += 1
        if any(c.isdigit() for c in t) or lt in NUMBER_WORDS or lt in KEY_WORDS:
            exact.add(lt)
        elif t[:1].isupper() and lt not in STOPWORDS:
            entities.add(lt)
    return _Profile(frozenset(lower), frozenset(exact), frozenset(entities), content)


def _is_key(w: str) -> bool:
    return w in KEY_WORDS or w in NUMBER_WORDS or any(c.isdigit() for c in w)


def _entity_variant(a: str, b: str) -> bool:
    """A misspelt name: one edit apart and long enough that one edit is not another name
    ("Charles" / "Charls"; not "Mali" / "Bali", "Creho" / "Crevo")."""
    return min(len(a), len(b)) >= 6 and one_edit(a, b)


def _unmatched(mine: Iterable[str], mine_all: frozenset[str], other_all: frozenset[str], *,
               kind: Literal["key", "entity", "content"] = "content") -> str | None:
    """First word of ``mine`` missing from the other side with no spelling variant there.

    key: numbers (never a variant), number words and key words, whose variant must not be a key
    word itself ("whihc" is "which"; "after" is not "before"); entity: names (``_entity_variant``);
    content: ``similar_words`` (typos, inflections, plurals)."""
    pool = other_all  # a variant may also sit next to a correct copy ("books ... boos")
    if kind == "key":
        pool = frozenset(u for u in pool - mine_all if not _is_key(u) and u not in STOPWORDS)
    if kind == "entity":
        def same(t: str, u: str) -> bool:  # a misspelt name, or a misspelt capitalised first word ("Whihc")
            return _entity_variant(t, u) or ((u in STOPWORDS or u in KEY_WORDS) and similar_words(t, u))
    else:
        same = similar_words
    for t in sorted(set(mine) - other_all):
        if kind == "key" and any(c.isdigit() for c in t):
            return t
        if not any(same(t, u) for u in pool):
            return t
    return None


def _guard(p1: _Profile, p2: _Profile) -> str:
    """Why two similar wordings ask different things regardless of the answers ('' = no reason)."""
    t = (_unmatched(p1.exact, p1.lower, p2.lower, kind="key")
         or _unmatched(p2.exact, p2.lower, p1.lower, kind="key"))
    if t:
        return f"differs in {t!r}"
    t = (_unmatched(p1.entities, p1.lower, p2.lower, kind="entity")
         or _unmatched(p2.entities, p2.lower, p1.lower, kind="entity"))
    if t:
        return f"differs in {t!r}"
    for w in sorted(p1.content.keys() & p2.content.keys()):
        c1, c2 = p1.content[w], p2.content[w]
        if c1 == c2:
            continue
        # "the album released just after the album released just after X" — unless the missing
        # occurrences are misspelt ("labels ... lbels")
        more, less = (p1, p2) if c1 > c2 else (p2, p1)
        variants = sum(n for u, n in less.content.items() if u not in more.lower and similar_words(w, u))
        if less.content[w] + variants < more.content[w]:
            return f"repeats {w!r} {c1}x vs {c2}x"
    return ""


def relation(q1: str, a1: str, q2: str, a2: str, *, guard: bool = True) -> tuple[Relation, str]:
    """How two questions whose shingles are similar relate: duplicate, conflict or distinct."""
    if guard:
        p1, p2 = _profile(q1), _profile(q2)
        why = _guard(p1, p2)
        if why:
            return "distinct", why
        t = _unmatched(p1.content, p1.lower, p2.lower) or _unmatched(p2.content, p2.lower, p1.lower)
        if t:  # "How many labels / genres does the article list?"
            return "distinct", f"differs in {t!r}"
    if answers_equal(a1, a2):
        return "duplicate", ""
    return "conflict", f"answers {a1[:60]!r} vs {a2[:60]!r}"


# ----------------------------------------------------------------------------------------------
# MinHash settings and the persistent indexes


@dataclass(frozen=True)
class Entry:
    """A shipped (or claimed) question as the index remembers it.

    ``owner`` is the run attempt that claimed it (``run_id`` when not given); ``lease`` is the unix
    time until which an uncommitted claim holds in Redis (0 = committed)."""

    id: str
    run_id: str
    question: str
    answer: str
    type: str = ""
    owner: str = ""
    lease: float = 0.0

    @property
    def claimant(self) -> str:
        return self.owner or self.run_id

    def to_json(self) -> str:
        return json.dumps({"run_id": self.run_id, "question": self.question, "answer": self.answer,
                           "type": self.type, "owner": self.owner, "lease": self.lease},
                          ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, id_: str, text: str | bytes) -> Entry:
        d = json.loads(text)
        return cls(id_, d.get("run_id", ""), d.get("question", ""), d.get("answer", ""), d.get("type", ""),
                   d.get("owner", ""), float(d.get("lease") or 0.0))


def detect_probability(j: float, b: int, r: int) -> float:
    """Probability that a pair with Jaccard ``j`` shares at least one of ``b`` bands of ``r`` rows."""
    return 1.0 - (1.0 - j**r) ** b


def choose_bands(threshold: float, num_perm: int, min_recall: float) -> tuple[int, int]:
    """(b, r) with b*r <= num_perm, P(candidate | J = threshold) >= min_recall, and the smallest
    expected false-candidate rate (the S-curve integrated over [0, threshold]); when no setting
    reaches ``min_recall``, the one with the highest recall at the threshold."""
    grid = [i / 200 * threshold for i in range(201)]
    best: tuple[float, int, int] | None = None
    fallback: tuple[float, int, int] | None = None
    for r in range(1, num_perm + 1):
        b = num_perm // r
        if b < 2:
            break
        rec = detect_probability(threshold, b, r)
        fp = sum(detect_probability(j, b, r) for j in grid) / len(grid)
        if rec >= min_recall and (best is None or fp < best[0]):
            best = (fp, b, r)
        if fallback is None or rec > fallback[0]:
            fallback = (rec, b, r)
    chosen = best or fallback
    assert chosen is not None
    return chosen[1], chosen[2]


class Signer:
    """Seeded MinHash of question shingles, and LSH indexes with identical bands."""

    def __init__(self, cfg: FilterConfig) -> None:
        from datasketch import MinHash

        self.cfg = cfg
        self.b, self.r = choose_bands(cfg.dedup_threshold, cfg.dedup_num_perm, cfg.dedup_min_recall)
        self._proto = MinHash(num_perm=cfg.dedup_num_perm, seed=cfg.dedup_seed, scheme=SCHEME)
        self.fingerprint = stable_hash(
            "minhash", SIGNATURE_VERSION, cfg.shingle, cfg.dedup_num_perm, cfg.dedup_seed, SCHEME, "sha1_hash32",
            length=12,
        )
        self.bands_fingerprint = stable_hash(self.fingerprint, self.b, self.r, length=12)

    def shingles(self, question: str) -> frozenset[str]:
        return shingles(question, self.cfg.shingle)

    def sign(self, sh: frozenset[str]) -> MinHash:
        m = self._proto.copy()
        m.update_batch([s.encode("utf-8") for s in sh])
        return m

    def sign_many(self, shs: Iterable[frozenset[str]]) -> list[MinHash]:
        return [self.sign(s) for s in shs]

    def from_values(self, values: bytes) -> MinHash:
        from datasketch import MinHash

        hv = np.frombuffer(values, dtype=np.uint32)
        return MinHash(seed=self.cfg.dedup_seed, hashvalues=hv, permutations=self._proto.permutations, scheme=SCHEME)

    def lsh(self, storage_config: dict | None = None) -> MinHashLSH:
        from datasketch import MinHashLSH

        kwargs: dict = {"threshold": self.cfg.dedup_threshold, "num_perm": self.cfg.dedup_num_perm,
                        "params": (self.b, self.r)}
        if storage_config is not None:
            kwargs["storage_config"] = storage_config
            kwargs["prepickle"] = False
        return MinHashLSH(**kwargs)


class Index(Protocol):
    """What the deduper needs of a persistent index of shipped questions.

    Claiming (``mutex`` + ``fresh`` + ``claim``, then ``commit`` or ``release``) makes "a question
    ships from exactly one run" hold between concurrent runs: under the store's mutex a run reads
    what others claimed since it opened (``fresh``), drops its records that duplicate those, and
    claims the rest before it writes a shard. A claim is visible to every other run at once; it
    becomes permanent at ``commit`` (after the shards are written) and lapses when its run releases
    it, dies (local: the claim's flock is gone) or overruns its lease (Redis)."""

    def __len__(self) -> int: ...
    def query(self, mh: MinHash) -> list[str]: ...
    def get_many(self, ids: list[str]) -> dict[str, Entry]: ...
    def present(self, ids: list[str]) -> set[str]: ...
    def mutex(self) -> AbstractContextManager: ...
    def fresh(self) -> list[tuple[Entry, MinHash]]: ...
    def claim(self, items: list[tuple[Entry, MinHash]]) -> int: ...
    def commit(self) -> int: ...
    def release(self) -> None: ...
    def add(self, items: list[tuple[Entry, MinHash]]) -> int: ...
    def close(self) -> None: ...


class NullIndex:
    """No persistence: dedup within the run only."""

    def __len__(self) -> int:
        return 0

    def query(self, mh: MinHash) -> list[str]:
        return []

    def get_many(self, ids: list[str]) -> dict[str, Entry]:
        return {}

    def present(self, ids: list[str]) -> set[str]:
        return set()

    def mutex(self) -> AbstractContextManager:
        return nullcontext()

    def fresh(self) -> list[tuple[Entry, MinHash]]:
        return []

    def claim(self, items: list[tuple[Entry, MinHash]]) -> int:
        return 0

    def commit(self) -> int:
        return 0

    def release(self) -> None:
        return None

    def add(self, items: list[tuple[Entry, MinHash]]) -> int:
        return 0

    def close(self) -> None:
        return None


_SEG_GLOB = "seg-*.parquet"
_CLAIM_GLOB = "claim-*.parquet"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class _ClaimingIndex:
    """What the two persistent indexes share: ``add`` is a claim and a commit under the index's mutex."""

    def add(self, items: list[tuple[Entry, MinHash]]) -> int:
        """Claim and commit at once."""
        with self.mutex():
            self.fresh()
            self.claim(items)
        return self.commit()


class LocalIndex(_ClaimingIndex):
    """Append-only Parquet segments in a folder, loaded into an in-memory datasketch LSH.

    A claim is a ``claim-*.parquet`` file whose run holds an exclusive ``flock`` on the claim's
    ``.lock`` file until it commits (the claim is renamed ``seg-*.parquet``) or releases it (both
    files deleted). A claim whose lock is free belongs to a run that died: it lapses (deleted under
    the folder's mutex, ``.lock``). Every change of the folder happens under that mutex."""

    def __init__(self, path: Path | str, signer: Signer, owner: str = "") -> None:
        self.path = Path(path)
        self.signer = signer
        self.owner = owner
        self.path.mkdir(parents=True, exist_ok=True)
        self.lsh = signer.lsh()
        self.entries: dict[str, Entry] = {}
        self.resigned = 0
        self.lapsed = 0
        self._loaded: set[str] = set()
        self._mine: dict[str, tuple[int, int]] = {}  # claim stem -> (lock fd, entries)
        self._fresh: list[tuple[Entry, MinHash]] = []
        with self.mutex():
            self._scan()
        self._fresh = []

    @contextmanager
    def mutex(self) -> Iterator[None]:
        import fcntl

        fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the flock

    def _live(self, claim: Path) -> bool:
        """True while the claim's run holds the flock of its ``.lock`` file."""
        import fcntl

        if claim.stem in self._mine:
            return True
        try:
            fd = os.open(claim.with_suffix(".lock"), os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def _scan(self) -> None:
        """Load segments and live claims not loaded yet; delete lapsed claims (under the mutex)."""
        for seg in [*sorted(self.path.glob(_SEG_GLOB)), *sorted(self.path.glob(_CLAIM_GLOB))]:
            if seg.name in self._loaded:
                continue
            if seg.name.startswith("claim-") and not self._live(seg):
                log.info("dedup index: claim %s lapsed (its run ended without committing)", seg.name)
                seg.unlink(missing_ok=True)
                seg.with_suffix(".lock").unlink(missing_ok=True)
                self.lapsed += 1
                continue
            self._loaded.add(seg.name)
            self._read(seg)

    def _read(self, seg: Path) -> None:
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(seg)
        except FileNotFoundError:  # a claim committed (renamed) or released meanwhile: read later
            self._loaded.discard(seg.name)
            return
        fp = (table.schema.metadata or {}).get(b"fingerprint", b"").decode()
        rows = [r for r in table.to_pylist() if r["id"] not in self.entries]
        if fp == self.signer.fingerprint:
            mhs = [self.signer.from_values(r["minhash"]) for r in rows]
        else:  # other MinHash settings: re-sign from the question text
            mhs = self.signer.sign_many(self.signer.shingles(r["question"]) for r in rows)
            self.resigned += len(rows)
        for r, mh in zip(rows, mhs, strict=True):
            e = Entry(r["id"], r["run_id"], r["question"], r["answer"], r.get("type") or "", r.get("owner") or "")
            self.entries[e.id] = e
            self.lsh.insert(e.id, mh, check_duplication=False)
            self._fresh.append((e, mh))

    def __len__(self) -> int:
        return len(self.entries)

    def query(self, mh: MinHash) -> list[str]:
        return self.lsh.query(mh)

    def get_many(self, ids: list[str]) -> dict[str, Entry]:
        return {i: self.entries[i] for i in ids if i in self.entries}

    def present(self, ids: list[str]) -> set[str]:
        return {i for i in ids if i in self.entries}

    def fresh(self) -> list[tuple[Entry, MinHash]]:
        """Entries other runs added since the last scan (call under the mutex)."""
        self._fresh = []
        self._scan()
        out, self._fresh = self._fresh, []
        return out

    def claim(self, items: list[tuple[Entry, MinHash]]) -> int:
        """Claim the entries whose ids are not in the index yet (call under the mutex)."""
        import fcntl

        import pyarrow as pa

        from pipelines.shards import atomic_write_parquet

        new = sorted(((e, mh) for e, mh in items if e.id not in self.entries), key=lambda x: x[0].id)
        if not new:
            return 0
        run = _SAFE.sub("_", new[0][0].run_id or "run")[:60]
        stem = f"claim-{run}-{stable_hash([e.id for e, _ in new], length=12)}"
        fd = os.open(self.path / f"{stem}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)  # held until commit or release (or this process dies)
        self._mine[stem] = (fd, len(new))
        table = pa.table(
            {
                "id": [e.id for e, _ in new],
                "run_id": [e.run_id for e, _ in new],
                "question": [e.question for e, _ in new],
                "answer": [e.answer for e, _ in new],
                "type": [e.type for e, _ in new],
                "owner": [e.owner for e, _ in new],
                "minhash": [np.asarray(mh.hashvalues, dtype=np.uint32).tobytes() for _, mh in new],
            }
        ).replace_schema_metadata({"fingerprint": self.signer.fingerprint})
        atomic_write_parquet(table, self.path / f"{stem}.parquet", compression="zstd")
        self._loaded.add(f"{stem}.parquet")
        for e, mh in new:
            self.entries[e.id] = e
            self.lsh.insert(e.id, mh, check_duplication=False)
        return len(new)

    def commit(self) -> int:
        """Make this index's claims permanent segments; returns how many entries they hold."""
        from pipelines.shards import _fsync_dir

        n = 0
        with self.mutex():
            for stem, (fd, count) in sorted(self._mine.items()):
                seg = "seg-" + stem.removeprefix("claim-") + ".parquet"
                os.replace(self.path / f"{stem}.parquet", self.path / seg)
                self._loaded.add(seg)
                (self.path / f"{stem}.lock").unlink(missing_ok=True)
                os.close(fd)
                n += count
            if self._mine:
                _fsync_dir(self.path)
            self._mine.clear()
        return n

    def release(self) -> None:
        """Withdraw this index's uncommitted claims (the run ends without shipping them)."""
        if not self._mine:
            return
        import pyarrow.parquet as pq

        with self.mutex():
            for stem, (fd, _) in sorted(self._mine.items()):
                path = self.path / f"{stem}.parquet"
                for i in pq.read_table(path, columns=["id"]).column("id").to_pylist():
                    if self.entries.pop(i, None) is not None:
                        self.lsh.remove(i)
                path.unlink(missing_ok=True)
                (self.path / f"{stem}.lock").unlink(missing_ok=True)
                os.close(fd)
                self._loaded.discard(path.name)
            self._mine.clear()

    def close(self) -> None:
        self.release()


class RedisIndex(_ClaimingIndex):
    """datasketch ``MinHashLSH`` on Redis storage plus a meta hash; shared by every run that uses it.

    Claims: under a Redis lock (``<prefix>:claim-lock``, redis-py's ``Lock``), a run reads the ids
    appended to ``<prefix>:log`` since it opened, then writes its claims to the meta hash with a
    lease (unix time) and into the LSH; ``commit`` sets the lease to 0 (permanent). A claim whose
    lease has passed is ignored by everyone but its owner: its run died or overran."""

    def __init__(self, url: str, signer: Signer, prefix: str = "crawlqa:dedup", owner: str = "",
                 lease: float = 3600.0) -> None:
        import redis
        from redis.connection import parse_url

        self.signer = signer
        self.owner = owner
        self.lease = lease
        self.client = redis.Redis.from_url(url)
        self.client.ping()  # a wrong URL is a configuration error: fail before any work
        self.meta_key = f"{prefix}:meta"
        self.log_key = f"{prefix}:log"
        self.lock_key = f"{prefix}:claim-lock"
        params = {k: v for k, v in parse_url(url).items() if k != "connection_class"}
        self.lsh = signer.lsh({
            "type": "redis",
            "redis": params,
            "basename": f"{prefix}:lsh:{signer.bands_fingerprint}:".encode(),
        })
        self._mine: dict[str, Entry] = {}
        self._cursor = int(self.client.llen(self.log_key))
        self.reinserted = self._reconcile()

    def _reconcile(self) -> int:
        meta_ids = {k.decode() for k in self.client.hkeys(self.meta_key)}
        if not meta_ids:
            return 0
        lsh_ids = {k.decode() if isinstance(k, bytes) else k for k in self.lsh.keys.keys()}  # noqa: SIM118 (a storage, not a dict)
        missing = sorted(meta_ids - lsh_ids)
        if not missing:
            return 0
        entries = self._entries(missing, live_only=False)
        with self.lsh.insertion_session() as session:
            for i in missing:
                mh = self.signer.sign(self.signer.shingles(entries[i].question))
                session.insert(i.encode(), mh, check_duplication=False)
        log.info("dedup index: re-inserted %d entries into the Redis LSH %s", len(missing), self.lsh.keys._name)
        return len(missing)

    def _entries(self, ids: list[str], *, live_only: bool = True) -> dict[str, Entry]:
        if not ids:
            return {}
        vals = self.client.hmget(self.meta_key, ids)
        out = {i: Entry.from_json(i, v) for i, v in zip(ids, vals, strict=True) if v is not None}
        if live_only:
            now = time.time()
            out = {i: e for i, e in out.items() if not e.lease or e.lease >= now or e.claimant == self.owner}
        return out

    def __len__(self) -> int:
        return int(self.client.hlen(self.meta_key))

    def query(self, mh: MinHash) -> list[str]:
        return [k.decode() if isinstance(k, bytes) else k for k in self.lsh.query(mh)]

    def get_many(self, ids: list[str]) -> dict[str, Entry]:
        return self._entries(ids)

    def present(self, ids: list[str]) -> set[str]:
        return set(self._entries(ids))

    def mutex(self) -> AbstractContextManager:
        return self.client.lock(self.lock_key, timeout=600, blocking_timeout=1800)

    def fresh(self) -> list[tuple[Entry, MinHash]]:
        """Live entries other runs added since this index opened (call under the mutex)."""
        ids = [i.decode() for i in self.client.lrange(self.log_key, self._cursor, -1)]
        self._cursor += len(ids)
        got = self._entries(sorted(set(ids)))
        return [(e, self.signer.sign(self.signer.shingles(e.question))) for e in got.values()
                if e.id not in self._mine]

    def claim(self, items: list[tuple[Entry, MinHash]]) -> int:
        """Claim (with a lease) the entries not present yet (call under the mutex)."""
        have = self._entries([e.id for e, _ in items])
        new = sorted(((e, mh) for e, mh in items if e.id not in have), key=lambda x: x[0].id)
        if not new:
            return 0
        until = time.time() + self.lease
        lapsed = set(self._entries([e.id for e, _ in new], live_only=False))
        for i in sorted(lapsed):  # a lapsed claim of the same id: replaced
            self.lsh.remove(i.encode())
        pipe = self.client.pipeline(transaction=True)
        for e, _ in new:
            claimed = Entry(e.id, e.run_id, e.question, e.answer, e.type, e.owner, until)
            pipe.hset(self.meta_key, e.id, claimed.to_json())
            self._mine[e.id] = claimed
        pipe.rpush(self.log_key, *[e.id for e, _ in new])
        pipe.execute()
        with self.lsh.insertion_session() as session:
            for e, mh in new:
                session.insert(e.id.encode(), mh, check_duplication=False)
        return len(new)

    def commit(self) -> int:
        if not self._mine:
            return 0
        pipe = self.client.pipeline(transaction=True)
        for e in self._mine.values():
            pipe.hset(self.meta_key, e.id, Entry(e.id, e.run_id, e.question, e.answer, e.type, e.owner).to_json())
        pipe.execute()
        n = len(self._mine)
        self._mine.clear()
        return n

    def release(self) -> None:
        if not self._mine:
            return
        ids = sorted(self._mine)
        self.client.hdel(self.meta_key, *ids)
        for i in ids:
            self.lsh.remove(i.encode())
        self._mine.clear()

    def close(self) -> None:
        self.release()
        clients = [self.client, getattr(self.lsh.keys, "_redis", None)]
        clients += [getattr(t, "_redis", None) for t in self.lsh.hashtables]
        for c in clients:
            if c is not None:
                c.close()


def attempt_owner(state_dir: Path | str, run_id: str) -> str:
    """The owner of a run's dedup claims: the run id and a token kept in ``state_dir`` (the run
    folder's ``_state``), so a resumed run is the same owner and a twin of the same run id on
    another machine (sharing a Redis index) is not."""
    import uuid

    path = Path(state_dir) / "dedup-owner"
    try:
        owner = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        owner = ""
    if owner:
        return owner
    owner = f"{run_id}#{uuid.uuid4().hex[:12]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    tmp.write_text(owner, encoding="utf-8")
    os.replace(tmp, path)
    return owner


# ----------------------------------------------------------------------------------------------
# the deduper


@dataclass
class _Decision:
    reason: str = ""        # "" = kept
    dup_of: str = ""
    detail: str = ""


class _Store:
    """The records between the two passes of ``MinHashDeduper.run``: a list, or shards in a
    scratch folder (then only one row group is ever in memory)."""

    def __init__(self, spool: Path | None) -> None:
        self.spool = Path(spool) if spool is not None else None
        self._mem: list[QARecord] = []
        self._writer = None
        if self.spool is not None:
            from pipelines.shards import ShardWriter

            shutil.rmtree(self.spool, ignore_errors=True)
            self._writer = ShardWriter(self.spool, QARecord, rows_per_shard=1_000_000)

    def add(self, rec: QARecord) -> None:
        if self._writer is not None:
            self._writer.write(rec)
        else:
            self._mem.append(rec)

    def replay(self) -> Iterator[QARecord]:
        if self._writer is None:
            yield from self._mem
            return
        from pipelines.shards import iter_records

        self._writer.close()
        assert self.spool is not None
        yield from iter_records(self.spool, QARecord, batch_size=256)  # type: ignore[misc]

    def close(self) -> None:
        self._mem = []
        if self._writer is not None:
            self._writer.abort()
            assert self.spool is not None
            shutil.rmtree(self.spool, ignore_errors=True)


class MinHashDeduper:
    """Drop near-duplicate questions within a run and against the persistent index of earlier runs.

    Use as a context manager (opens / closes the index)::

        with MinHashDeduper(cfg, index_path=out / ".dedup") as dd:
            with ShardWriter(run / "qa", QARecord) as qa:
                qa.write_all(dd.run(records, counters, rejects.write))
            dd.commit()          # only after the run's shards are safely written

    Counters: ``dedup/total``, ``dedup/kept``, ``dedup/dropped/near_duplicate``,
    ``dedup/dropped/answer_conflict``, ``dedup/matched_earlier_run`` (drops caused by the index),
    ``dedup/guard_distinct`` (similar pairs judged different questions), ``dedup/lsh_candidates``,
    ``dedup/lsh_false_candidates`` (candidates below the threshold on exact Jaccard),
    ``dedup/index_entries`` (index size when the first run started), ``dedup/committed``,
    ``dedup/lost_claim`` (kept records another run claimed while this one deduped).

    Exactly one run ships a question, also when runs overlap: at the end of the first pass, under
    the index's mutex, the run re-checks its kept records against what other runs claimed since it
    opened the index and claims the rest (``Index``); ``commit`` makes the claims permanent and
    ``close`` without a commit withdraws them. ``owner`` names the run attempt (default: the
    records' run id): index entries of the same owner are this run's own (a re-run is idempotent).
    Give each attempt its own owner when two machines may run the same run id against one Redis.
    """

    def __init__(self, cfg: FilterConfig, *, index_path: Path | None = None, redis_url: str | None = None,
                 owner: str = "", claim_lease: float = 3600.0) -> None:
        self.cfg = cfg
        self.index_path = Path(index_path) if index_path is not None else None
        self.redis_url = redis_url
        self.owner = owner
        self.claim_lease = claim_lease
        self._kept_meta: dict[str, tuple[str, str]] = {}  # kept id -> (run id, type), for the claim
        self.signer = Signer(cfg)
        self._index: Index | None = None
        self._run_lsh = self.signer.lsh()
        self._run: dict[str, tuple[str, str, np.ndarray]] = {}   # representatives: question, answer, compact shingles
        self._emitted: set[str] = set()
        self._pending: dict[str, tuple[Entry, MinHash]] = {}
        self._counted_index = False
        self._counters: Counters | None = None
        # compact shingles of index entries, computed once per entry (not once per candidacy: in a
        # daily run against a populated index each entry is a candidate of ~80 queries), bounded
        self._index_sh: OrderedDict[str, np.ndarray] = OrderedDict()

    # lifecycle ------------------------------------------------------------------------------
    def open(self) -> MinHashDeduper:
        if self._index is None:
            if self.redis_url:
                self._index = RedisIndex(self.redis_url, self.signer, self.cfg.dedup_redis_prefix,
                                         owner=self.owner, lease=self.claim_lease)
            elif self.index_path is not None:
                self._index = LocalIndex(self.index_path, self.signer, owner=self.owner)
            else:
                self._index = NullIndex()
        return self

    def close(self) -> None:
        """Close the index; claims not committed are withdrawn."""
        if self._index is not None:
            self._index.close()
            self._index = None

    def __enter__(self) -> MinHashDeduper:
        return self.open()

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()

    @property
    def index(self) -> Index:
        return self.open()._index  # type: ignore[return-value]

    # the pass -------------------------------------------------------------------------------
    def run(
        self, records: Iterable[QARecord], counters: Counters, sink: Callable[[Reject], None] | None = None,
        *, presorted: bool = False, spool: Path | None = None,
    ) -> Iterator[QARecord]:
        """Kept records of this run in id order; drops go to ``sink`` as stage ``dedup`` rejects.

        The dedup stage is a barrier (with ``dedup_on_conflict="drop_both"`` a late record can drop
        an earlier one), so it works in two passes: the first decides every record keeping only
        what the decisions need (question, answer, shingles of this run's representatives, the
        signatures of records to commit); the second emits the records by those decisions.
        ``presorted=True`` promises ``records`` arrive in id order (checked) so they are not sorted
        in memory; ``spool`` (a scratch folder) keeps the records on disk between the passes
        instead of in memory. With both, memory no longer grows with the records' size.
        Calling ``run`` again on the same deduper dedups the new records against the earlier calls
        too (records already yielded can no longer be dropped by a later conflict).
        """
        index = self.index
        self._counters = counters
        if not self._counted_index:
            counters.inc("dedup/index_entries", len(index))
            self._counted_index = True
        stream = records if presorted else sorted(records, key=lambda r: r.id)
        store = _Store(spool)
        decisions: dict[str, _Decision] = {}
        mhs: dict[str, MinHash] = {}
        last = ""
        try:
            for rec in stream:
                if rec.id < last:
                    raise ValueError(f"records are not in id order: {rec.id!r} after {last!r}")
                last = rec.id
                counters.inc("dedup/total")
                if rec.id in decisions or rec.id in self._emitted:
                    counters.inc("dedup/dropped/near_duplicate")
                    if sink is not None:
                        sink(reject_for(rec, stage=STAGE, reason="near_duplicate", dup_of=rec.id,
                                        detail="same record id twice in the run"))
                    continue
                store.add(rec)
                sh = self.signer.shingles(rec.question)
                mh = self.signer.sign(sh)
                csh = compact(sh)
                d = self._against_index(rec, csh, mh) or self._against_run(rec, csh, mh, decisions)
                decisions[rec.id] = d
                if not d.reason:
                    mhs[rec.id] = mh
                    self._kept_meta[rec.id] = (rec.run_id, rec.type)
                if d.reason == "" or (d.reason == "answer_conflict" and d.dup_of in self._run):
                    self._run_lsh.insert(rec.id, mh, check_duplication=False)
                    self._run[rec.id] = (rec.question, str(rec.answer), csh)
            self._claim(decisions, mhs, counters)
            for rec in store.replay():
                d = decisions[rec.id]
                if not d.reason:
                    counters.inc("dedup/kept")
                    self._emitted.add(rec.id)
                    self._pending[rec.id] = (Entry(rec.id, rec.run_id, rec.question, str(rec.answer), rec.type,
                                                   self.owner), mhs[rec.id])
                    yield rec
                    continue
                counters.inc(f"dedup/dropped/{d.reason}")
                if sink is not None:
                    sink(reject_for(rec, stage=STAGE, reason=d.reason, dup_of=d.dup_of, detail=d.detail))
        finally:
            store.close()

    def _claim(self, decisions: dict[str, _Decision], mhs: dict[str, MinHash], counters: Counters) -> None:
        """Under the index's mutex: drop kept records that duplicate what other runs claimed
        since the index was opened, and claim the others (before any of them is emitted)."""
        kept = sorted(i for i, d in decisions.items() if not d.reason and i in mhs)
        index = self.index
        if isinstance(index, NullIndex) or not kept:
            return
        with index.mutex():
            fresh = [(e, mh) for e, mh in index.fresh() if not self._own(e, self._kept_meta[kept[0]][0])]
            if fresh:
                lsh = self.signer.lsh()
                by_id = {}
                for e, mh in fresh:
                    by_id[e.id] = e
                    lsh.insert(e.id, mh, check_duplication=False)
                for rid in kept:
                    ids = lsh.query(mhs[rid])
                    if not ids:
                        continue
                    q, a, csh = self._run[rid]
                    cand = [(i, by_id[i].question, by_id[i].answer, self._entry_shingles(by_id[i])) for i in ids]
                    dup, conflict = self._classify(q, a, self._verified(csh, cand, counters))
                    hit = dup or conflict
                    if hit is None:
                        continue
                    cid, j, why = hit
                    other = by_id[cid].run_id
                    reason = "near_duplicate" if dup is not None else "answer_conflict"
                    detail = f"J={j:.2f}{', ' + why if why else ''}; claimed by the concurrent run {other}"
                    decisions[rid] = _Decision(reason, cid, detail)
                    counters.inc("dedup/lost_claim")
                    counters.inc("dedup/matched_earlier_run")
            items = []
            for rid in kept:
                if decisions[rid].reason:
                    continue
                q, a, _ = self._run[rid]
                run_id, qtype = self._kept_meta[rid]
                items.append((Entry(rid, run_id, q, a, qtype, self.owner), mhs[rid]))
            index.claim(items)
        self._kept_meta.clear()

    def _own(self, e: Entry, run_id: str) -> bool:
        """An index entry this run (attempt) claimed itself."""
        if self.owner and e.owner:
            return e.owner == self.owner
        return e.run_id == run_id

    def _verified(self, sh: np.ndarray, cand: list[tuple[str, str, str, np.ndarray]], counters: Counters):
        """(id, question, answer, J) of candidates at or above the threshold, by id (shingles compact)."""
        out = []
        t = self.cfg.dedup_threshold
        min_len, max_len = t * len(sh), len(sh) / t
        # size filter first: J <= min/max of the two sizes
        sized = [c for c in sorted(cand, key=lambda c: c[0]) if min_len <= len(c[3]) <= max_len]
        if sized:
            # every candidate's intersection with ``sh`` in one numpy pass (a populated index gives
            # ~80 candidates a query: one intersect1d each was most of the dedup's time)
            lens = np.fromiter((len(c[3]) for c in sized), dtype=np.int64, count=len(sized))
            cat = np.concatenate([c[3] for c in sized])
            pos = np.searchsorted(sh, cat)  # ``sh`` is sorted (``compact``): a binary search per shingle
            pos[pos == len(sh)] = 0
            hit = sh[pos] == cat
            starts = np.zeros(len(sized), dtype=np.int64)
            np.cumsum(lens[:-1], out=starts[1:])
            inter = np.add.reduceat(hit.astype(np.int64), starts)
            js = inter / (len(sh) + lens - inter)
            out = [(c[0], c[1], c[2], float(j)) for c, j in zip(sized, js.tolist(), strict=True) if j >= t]
        counters.inc("dedup/lsh_candidates", len(cand))
        counters.inc("dedup/lsh_false_candidates", len(cand) - len(out))
        return out

    def _classify(self, question: str, answer: str, hits) -> tuple[tuple | None, tuple | None]:
        """First duplicate and first conflict among verified hits (by id)."""
        dup = conflict = None
        for cid, q, a, j in hits:
            rel, why = relation(question, answer, q, a, guard=self.cfg.dedup_guard)
            if rel == "distinct":
                assert self._counters is not None
                self._counters.inc("dedup/guard_distinct")
            elif rel == "duplicate" and dup is None:
                dup = (cid, j, why)
            elif rel == "conflict" and conflict is None:
                conflict = (cid, j, why)
        return dup, conflict

    def _against_index(self, rec: QARecord, sh: np.ndarray, mh: MinHash) -> _Decision | None:
        index = self.index
        ids = index.query(mh)
        if not ids:
            return None
        entries = index.get_many(sorted(ids))
        cand = [(e.id, e.question, e.answer, self._entry_shingles(e))
                for e in entries.values() if not self._own(e, rec.run_id)]
        assert self._counters is not None
        dup, conflict = self._classify(rec.question, str(rec.answer), self._verified(sh, cand, self._counters))
        if dup is None and conflict is None:
            return None
        self._counters.inc("dedup/matched_earlier_run")
        if dup is not None:
            cid, j, _ = dup
            return _Decision("near_duplicate", cid, f"J={j:.2f} with a question shipped in run {entries[cid].run_id}")
        cid, j, why = conflict  # type: ignore[misc]
        return _Decision("answer_conflict", cid, f"J={j:.2f}, {why}; shipped in run {entries[cid].run_id}")

    def _entry_shingles(self, e: Entry) -> np.ndarray:
        """Compact shingles of an index entry, memoised (LRU of ``INDEX_SHINGLE_CACHE`` entries)."""
        memo = self._index_sh
        csh = memo.get(e.id)
        if csh is not None:
            memo.move_to_end(e.id)
            return csh
        csh = memo[e.id] = compact(self.signer.shingles(e.question))
        if len(memo) > INDEX_SHINGLE_CACHE:
            memo.popitem(last=False)
        return csh

    def _against_run(self, rec: QARecord, sh: np.ndarray, mh: MinHash, decisions: dict[str, _Decision]) -> _Decision:
        ids = self._run_lsh.query(mh)
        cand = [(cid, q, a, csh) for cid in ids for q, a, csh in [self._run[cid]]]
        assert self._counters is not None
        dup, conflict = self._classify(rec.question, str(rec.answer), self._verified(sh, cand, self._counters))
        if dup is not None:
            cid, j, _ = dup
            return _Decision("near_duplicate", cid, f"J={j:.2f}")
        if conflict is not None:
            cid, j, why = conflict
            other = decisions.get(cid)
            if (self.cfg.dedup_on_conflict == "drop_both" and other is not None and not other.reason
                    and cid not in self._emitted):
                decisions[cid] = _Decision("answer_conflict", rec.id, f"J={j:.2f}, {why} (both dropped)")
            return _Decision("answer_conflict", cid, f"J={j:.2f}, {why}")
        return _Decision()

    # persistence ----------------------------------------------------------------------------
    def commit(self) -> int:
        """Make this run's claims (its kept records) permanent in the persistent index (call once
        the shards are written).

        Idempotent: ids already in the index were not claimed again. Returns how many entries were added.
        """
        if not self._pending:
            return 0
        added = self.index.commit()
        if self._counters is not None:
            self._counters.inc("dedup/committed", added)
        self._pending.clear()
        return added

    @property
    def pending(self) -> int:
        """Kept records not yet committed."""
        return len(self._pending)
