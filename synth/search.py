"""Search for E2HQA: a local full-text index over crawled pages, and a pluggable web search API.

``LocalSearchIndex`` is SQLite FTS5 (bm25 ranking, Porter stemming, diacritics folded) built from a
run's ``pages/`` shards and persisted in a run folder (``RUN/_index/search.sqlite``). Besides the
full-text table it keeps what the E2H rounds read without another pass over the shards: each page's
subject, first sentence, lead text and infobox facts (with the indexed pages their values link to),
and the subject/alias dictionary used to spot entities in a question.

The index is rebuilt only when the pages shards change (their checksums are its fingerprint) and is
written to a temporary file first, then renamed: a killed build leaves no half-built index.

``WebSearch`` is the interface of a user's search API. Nothing here calls the web: a user plugs a
class by dotted path in :class:`synth.e2h.config.E2HConfig` (``web_search="pkg.mod:MySearch"``,
``web_search_options={...}`` as its keyword arguments)::

    class MySearch:
        name = "my-api"
        def __init__(self, endpoint: str, api_key: str = "") -> None: ...
        def search(self, query: str, k: int = 5) -> list[SearchHit]:
            ...  # call the API, map its results to SearchHit(url, title, snippet, score, source="web")

``StaticWebSearch`` (recorded results in a JSON file) is the offline stand-in used by the tests.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

from schemas.ids import stable_hash
from schemas.records import Fact, Page

INDEX_FORMAT = 6  # 6: credits (works a navigation box credits to a person)
INDEX_FILE = "search.sqlite"

# bm25 column weights: subject, description (first sentence), body, anchors (inbound link texts)
BM25_WEIGHTS = (10.0, 4.0, 1.0, 2.0)

_STOPWORDS_TEXT = """
a an and are as at be been being but by did do does for from had has have he her hers him his how i
in into is it its of on or she that the their them they this to was were what when where which who
whom whose why will with would you your which whose than then there these those also after before
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

_WORD_RE = re.compile(r"\w+", re.UNICODE)
_TITLE_SUFFIX_RE = re.compile(r"\s+[-–—|]\s+(Wikipedia|Wikiwand|arXiv|GitHub).*$", re.I)
_PAREN_RE = re.compile(r"\s*\([^()]*\)\s*$")


@lru_cache(maxsize=8_192)  # bounded: memory must not grow with the corpus
def fold(text: str) -> str:
    """Lower-case, accents removed, punctuation turned into spaces, spaces collapsed."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    return " ".join(_WORD_RE.findall(t.lower().replace("_", " ")))


def words(text: str) -> list[str]:
    return fold(text).split()


def subject_of(page: Page) -> str:
    """The entity a page is about: its subject, else its title without the site suffix."""
    s = (page.subject or "").strip()
    if not s:
        s = _TITLE_SUFFIX_RE.sub("", (page.title or "").strip())
    return s


def clean_title(title: str) -> str:
    """A web page title without its site suffix ('Ulm - Wikipedia' -> 'Ulm')."""
    t = _TITLE_SUFFIX_RE.sub("", title.strip())
    return re.sub(r"\s+[|–—]\s+[^|–—]+$", "", t).strip() or title.strip()


def base_name(subject: str) -> str:
    """A subject without its trailing disambiguation ('Busted (Ray Charles song)' -> 'Busted')."""
    return _PAREN_RE.sub("", subject).strip()


def fts_query(text: str) -> str:
    """An FTS5 MATCH expression for free text: its content words, quoted, OR-ed (bm25 ranks them)."""
    toks = [t for t in words(text) if t not in STOPWORDS]
    seen: list[str] = []
    for t in toks:
        if t not in seen:
            seen.append(t)
    return " OR ".join(f'"{t}"' for t in seen[:64])


@dataclass(frozen=True)
class SearchHit:
    """One search result: a page URL, its title (the entity), a snippet and a score (higher = better)."""

    url: str
    title: str
    snippet: str = ""
    score: float = 0.0
    source: str = "local"
    match: str = "text"  # 'title' when the query matched the page title as a phrase


@dataclass
class PageDoc:
    """What the E2H rounds know of an entity's page (from the local index, or built from a web hit)."""

    url: str
    subject: str
    description: str = ""
    lead: str = ""
    facts: list[Fact] = field(default_factory=list)
    page_id: str = ""
    root_url: str = ""
    local: bool = True

    @cached_property
    def key(self) -> str:
        """Entity key: pages with the same folded subject are the same entity (mirrors, versions)."""
        return fold(self.subject)


@dataclass(frozen=True)
class FactRow:
    """An infobox fact of an indexed page; ``dst`` is an indexed page its value links to ('' if none)."""

    src: str
    key: str
    value: str
    dst: str = ""
    pos: int = 0
    nlinks: int = 0

    @property
    def nkey(self) -> str:
        return norm_key(self.key)


def norm_key(key: str) -> str:
    """Fact key normalised for templates: 'Producer(s)' -> 'producer', 'Place of birth' -> 'place of birth'."""
    k = re.sub(r"\(s\)", "", key, flags=re.I)
    return fold(k)


class SearchIndex(Protocol):
    """Anything that answers a free-text query with ranked hits."""

    name: str

    def search(self, query: str, k: int = 5) -> list[SearchHit]: ...


@runtime_checkable
class WebSearch(Protocol):
    """A user's web search API (plugged by dotted path; see the module docstring)."""

    name: str

    def search(self, query: str, k: int = 5) -> list[SearchHit]: ...


# --- the local index --------------------------------------------------------------------------------
_SCHEMA = """
CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT);
CREATE TABLE docs(
  rowid INTEGER PRIMARY KEY, url TEXT UNIQUE, page_id TEXT, subject TEXT, skey TEXT, description TEXT,
  ndesc TEXT, lead TEXT, body TEXT, anchors TEXT DEFAULT '', root_url TEXT, language TEXT, site TEXT);
CREATE TABLE urlmap(url TEXT PRIMARY KEY, doc TEXT);
CREATE TABLE aliases(alias TEXT, doc TEXT, kind TEXT, PRIMARY KEY(alias, doc));
CREATE TABLE facts(src TEXT, key TEXT, nkey TEXT, value TEXT, nvalue TEXT, dst TEXT, pos INTEGER,
  nlinks INTEGER, ord INTEGER);
CREATE TABLE rawlinks(src TEXT, url TEXT, text TEXT);
CREATE TABLE links(src TEXT, dst TEXT, PRIMARY KEY(src, dst)) WITHOUT ROWID;
CREATE TABLE credits(src TEXT, title TEXT, fam TEXT, person TEXT, row TEXT);
CREATE VIRTUAL TABLE fts USING fts5(subject, description, body, anchors, content='docs',
  content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2');
"""


_MD_RULES = (
    (re.compile(r"<sup>.*?</sup>", re.S), ""),              # footnote markers
    (re.compile(r"<[^>]+>"), ""),                           # stray tags
    (re.compile(r"\\([\[\]()*_#`])"), r"\1"),               # markdown escapes
    (re.compile(r"\[(\d+|[a-z]|citation needed|note \d+)\]"), ""),  # citations
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),          # links and images
    (re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # emphasis
)


def plain(markdown: str) -> str:
    """Markdown prose as plain text (emphasis, links, escapes and footnote marks removed)."""
    t = markdown
    for rx, rep in _MD_RULES:
        t = rx.sub(rep, t)
    return " ".join(t.split())


def _lead_of(text: str, description: str, max_chars: int = 1500) -> str:
    """The lead paragraph(s) of a page's main text (markdown): prose before the first heading."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text or ""):
        b = block.strip()
        if not b:
            continue
        if b.startswith("#"):
            if out:
                break
            continue
        if b.startswith(("|", "-", "*", ">")) or re.match(r"^\d+\.\s", b):
            continue
        out.append(plain(b))
        if sum(len(x) for x in out) >= max_chars:
            break
    lead = " ".join(out)[:max_chars]
    return lead or description


def pages_fingerprint(pages_dir: Path) -> str:
    """Checksum of a pages folder's shards (names, sizes, mtimes): changes when the pages change."""
    from pipelines.shards import shard_paths

    parts = []
    for p in shard_paths(pages_dir):
        st = p.stat()
        parts.append((p.name, st.st_size, int(st.st_mtime_ns)))
    return stable_hash("pages", parts)


class LocalSearchIndex:
    """SQLite FTS5 index of pages. Build with :meth:`build` / :meth:`for_pages`, then query.

    Thread-compatible (one connection, use from one thread); close it, or use it as a context manager.
    """

    name = "local-fts5"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no search index at {self.path}")
        self._db = sqlite3.connect(self.path)
        self._db.execute("PRAGMA query_only = ON")
        fmt = self.meta("format")
        if fmt != str(INDEX_FORMAT):
            self._db.close()
            raise ValueError(f"search index {self.path} has format {fmt}, expected {INDEX_FORMAT}: rebuild it")
        self._aliases: dict[str, list[str]] | None = None
        self._max_alias: int | None = None
        self._links: dict[str, frozenset[str]] = {}
        self._cache: dict[tuple[str, str, int], tuple[SearchHit, ...]] = {}
        self._docs: dict[str, PageDoc | None] = {}

    # --- lifecycle ----------------------------------------------------------------------------------
    def __enter__(self) -> LocalSearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @classmethod
    def build(cls, pages: Iterable[Page], path: Path | str, *, fingerprint: str = "") -> LocalSearchIndex:
        """Index ``pages`` into a new file at ``path`` (atomically replacing any old one)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
        tmp.unlink(missing_ok=True)
        db = sqlite3.connect(tmp)
        try:
            _fill(db, pages)
            db.executemany("INSERT INTO meta VALUES (?, ?)",
                           [("format", str(INDEX_FORMAT)), ("fingerprint", fingerprint)])
            db.commit()
            db.execute("VACUUM")
            db.close()
            os.replace(tmp, path)
        except BaseException:
            db.close()
            tmp.unlink(missing_ok=True)
            raise
        return cls(path)

    @classmethod
    def for_pages(cls, pages_dir: Path | str, index_dir: Path | str, *, rebuild: bool = False) -> LocalSearchIndex:
        """The index of a pages folder, kept at ``index_dir/search.sqlite``; rebuilt when stale."""
        from pipelines.shards import iter_records

        pages_dir = Path(pages_dir)
        path = Path(index_dir) / INDEX_FILE
        fp = pages_fingerprint(pages_dir)
        if path.exists() and not rebuild:
            try:
                idx = cls(path)
            except (ValueError, sqlite3.DatabaseError):
                idx = None
            if idx is not None and idx.meta("fingerprint") == fp:
                return idx
            if idx is not None:
                idx.close()
        return cls.build(iter_records(pages_dir, Page), path, fingerprint=fp)  # type: ignore[arg-type]

    def meta(self, key: str) -> str | None:
        try:
            row = self._db.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
        except sqlite3.DatabaseError:
            return None
        return row[0] if row else None

    # --- search -------------------------------------------------------------------------------------
    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        """Pages for ``query``, best first: title matches, then bm25 over all columns.

        Like a web search engine, a page whose title (subject) is the query, or contains it as a
        phrase, comes before pages that merely mention its words: exact titles first, then an FTS5
        phrase query on the subject column, then an OR query of the content words, both ranked by
        FTS5's bm25 (column weights :data:`BM25_WEIGHTS`, the index's ``rank``). The snippet of a
        hit is its page's first sentence.
        """
        q = fts_query(query)
        if not q:
            return []
        k = int(k)
        phrase = " ".join(words(query))
        cached = self._cache.get((phrase, q, k))
        if cached is not None:
            return list(cached)
        rows = self._db.execute(
            "SELECT url, subject, description, 0.0 FROM docs WHERE skey = ? ORDER BY url LIMIT ?",
            (phrase, k)).fetchall()
        hits = [SearchHit(url=u, title=t, snippet=d[:300], score=sc, match="title") for u, t, d, sc in rows]
        seen = {h.url for h in hits}
        for match, expr in (("title", f'subject : "{phrase}"'), ("text", q)):
            if len(hits) >= k:
                break
            for u, t, d, sc in self._ranked(expr, k + len(hits)):
                if u not in seen and len(hits) < k:
                    hits.append(SearchHit(url=u, title=t, snippet=d[:300], score=round(-sc, 6), match=match))
                    seen.add(u)
        if len(self._cache) >= 100_000:  # the index is read-only: a hit list never goes stale
            self._cache.clear()
        self._cache[(phrase, q, k)] = tuple(hits)
        return hits

    def _ranked(self, expr: str, limit: int) -> list[tuple]:
        return self._db.execute(
            "SELECT d.url, d.subject, d.description, f.rank FROM "
            "(SELECT rowid, rank FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT ?) f "
            "JOIN docs d ON d.rowid = f.rowid ORDER BY f.rank, d.url", (expr, limit)).fetchall()

    def mentions(self, phrase: str, limit: int = 50) -> list[str]:
        """Pages whose first sentence contains ``phrase`` (as a phrase), for inverse mentions."""
        toks = words(phrase)
        if not toks:
            return []
        q = "description : \"" + " ".join(toks) + "\""
        rows = self._db.execute(
            "SELECT d.url FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ? ORDER BY d.url LIMIT ?",
            (q, limit)).fetchall()
        return [r[0] for r in rows]

    # --- documents, aliases, facts ------------------------------------------------------------------
    def doc(self, url: str) -> PageDoc | None:
        """The indexed page for a URL (any URL that redirected to it works too)."""
        if url in self._docs:
            return self._docs[url]
        row = self._db.execute(
            "SELECT d.url, d.subject, d.description, d.lead, d.page_id, d.root_url FROM urlmap m "
            "JOIN docs d ON d.url = m.doc WHERE m.url = ?", (url,)).fetchone()
        doc = None
        if row:
            facts: dict[int, Fact] = {}
            for key, value, dst, ord_ in self._db.execute(
                    "SELECT key, value, dst, ord FROM facts WHERE src = ? ORDER BY ord, pos", (row[0],)):
                f = facts.setdefault(ord_, Fact(key=key, value=value, links=[], source="infobox"))
                if dst:
                    f.links.append(dst)
            doc = PageDoc(url=row[0], subject=row[1], description=row[2], lead=row[3],
                          facts=list(facts.values()), page_id=row[4], root_url=row[5])
        self._docs[url] = doc
        return doc

    def body(self, url: str) -> str:
        """The main text (markdown) of the indexed page for a URL ('' when not indexed)."""
        row = self._db.execute("SELECT d.body FROM urlmap m JOIN docs d ON d.url = m.doc WHERE m.url = ?",
                               (url,)).fetchone()
        return row[0] or "" if row else ""

    def resolve(self, url: str) -> str | None:
        row = self._db.execute("SELECT doc FROM urlmap WHERE url = ?", (url,)).fetchone()
        return row[0] if row else None

    def aliases(self) -> dict[str, list[str]]:
        """Folded alias -> indexed page URLs (subjects, subjects without disambiguation, redirects)."""
        if self._aliases is None:
            amap: dict[str, list[str]] = {}
            for alias, doc in self._db.execute("SELECT alias, doc FROM aliases ORDER BY alias, kind, doc"):
                amap.setdefault(alias, []).append(doc)
            self._aliases = amap
        return self._aliases

    def max_alias_tokens(self) -> int:
        """Words in the longest alias (how far entity spotting looks ahead)."""
        if self._max_alias is None:
            self._max_alias = max((a.count(" ") + 1 for a in self.aliases()), default=1)
        return self._max_alias

    def subject_count(self) -> int:
        return self._db.execute("SELECT count(DISTINCT skey) FROM docs").fetchone()[0]

    def __len__(self) -> int:
        return self._db.execute("SELECT count(*) FROM docs").fetchone()[0]

    def facts(self, url: str) -> list[FactRow]:
        """Facts of a page, one row per linked indexed page (or one row when nothing links)."""
        return [FactRow(*r) for r in self._db.execute(
            "SELECT src, key, value, coalesce(dst, ''), pos, nlinks FROM facts WHERE src = ? ORDER BY ord, pos",
            (url,))]

    def credits(self, fam: str) -> list[tuple[str, str, str, str]]:
        """``(page, title, person, row)`` of every work a navigation box of the crawl credits to a person in the
        relation family ``fam`` ('director': "Films directed by Taylor Hackford" lists fifteen films): works the
        infobox rows do not show, which a description through that person (or the initials) may also fit."""
        return list(self._db.execute("SELECT src, title, person, row FROM credits WHERE fam = ? ORDER BY src, rowid",
                                     (fam,)))

    def links_from(self, url: str) -> frozenset[str]:
        """Indexed pages a page links to (its out-links and infobox links, redirects resolved)."""
        doc = self.resolve(url) or url
        got = self._links.get(doc)
        if got is None:
            got = frozenset(r[0] for r in self._db.execute("SELECT dst FROM links WHERE src = ?", (doc,)))
            self._links[doc] = got
        return got

    def inbound(self, url: str) -> list[FactRow]:
        """Facts of other pages whose value links to ``url``."""
        return [FactRow(*r) for r in self._db.execute(
            "SELECT src, key, value, dst, pos, nlinks FROM facts WHERE dst = ? AND src != ? ORDER BY src, ord",
            (url, url))]

    def entities_with_fact(self, key: str, value: str) -> set[str]:
        """Entity keys (folded subjects) of pages that have this fact (key and value folded)."""
        rows = self._db.execute(
            "SELECT DISTINCT d.skey FROM facts f JOIN docs d ON d.url = f.src WHERE f.nkey = ? AND f.nvalue = ?",
            (norm_key(key), fold(value))).fetchall()
        return {r[0] for r in rows}

    def entities_linking(self, key: str, dst: str) -> set[str]:
        """Entity keys of pages with a fact ``key`` linking to ``dst``."""
        rows = self._db.execute(
            "SELECT DISTINCT d.skey FROM facts f JOIN docs d ON d.url = f.src WHERE f.nkey = ? AND f.dst = ?",
            (norm_key(key), dst)).fetchall()
        return {r[0] for r in rows}

    def entities_with_description(self, folded: str) -> set[str]:
        """Entity keys of pages whose folded first sentence contains ``folded`` (a folded predicate)."""
        if not folded:
            return set()
        rows = self._db.execute(
            "SELECT DISTINCT d.skey FROM fts JOIN docs d ON d.rowid = fts.rowid "
            "WHERE fts MATCH ? AND instr(d.ndesc, ?) > 0", (f'description : "{folded}"', folded)).fetchall()
        return {r[0] for r in rows}

    def entity_key(self, url: str) -> str:
        row = self._db.execute(
            "SELECT d.skey FROM urlmap m JOIN docs d ON d.url = m.doc WHERE m.url = ?", (url,)).fetchone()
        return row[0] if row else ""


def _fill(db: sqlite3.Connection, pages: Iterable[Page]) -> None:
    db.executescript(_SCHEMA)
    seen_docs: set[str] = set()
    redirects: list[tuple[str, str]] = []
    for page in pages:
        if page.status >= 400:
            continue
        doc = page.final_url or page.url
        if page.url != doc:  # a redirect (HTTP or meta refresh): its URL and name lead to the target
            db.execute("INSERT OR IGNORE INTO urlmap VALUES (?, ?)", (page.url, doc))
            redirects.append((page.url, doc))
        if doc in seen_docs or not (page.text or page.description or page.facts):
            continue
        db.execute("INSERT OR IGNORE INTO urlmap VALUES (?, ?)", (doc, doc))
        seen_docs.add(doc)
        subject = subject_of(page)
        if not subject:
            continue
        desc = (page.description or "").strip()
        db.execute(
            "INSERT INTO docs(url, page_id, subject, skey, description, ndesc, lead, body, root_url, language, site) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (doc, page.id, subject, fold(subject), desc, fold(desc), _lead_of(page.text, desc), page.text,
             page.root_url, page.language, page.site))
        _add_alias(db, subject, doc, "subject")
        b = base_name(subject)
        if b and b != subject:
            _add_alias(db, b, doc, "base")
        for ord_, f in enumerate(page.facts):
            if f.source not in ("infobox", "meta", "sidebar"):
                continue
            links = list(dict.fromkeys(f.links))
            base = (doc, f.key, norm_key(f.key), f.value, fold(f.value))
            if not links:
                db.execute("INSERT INTO facts VALUES (?,?,?,?,?,?,?,?,?)", (*base, None, 0, 0, ord_))
            for pos, link in enumerate(links):
                db.execute("INSERT INTO facts VALUES (?,?,?,?,?,?,?,?,?)", (*base, link, pos, len(links), ord_))
        if page.html and "navbox" in page.html:
            from synth.graph.navfilms import credited_films

            db.executemany("INSERT INTO credits VALUES (?, ?, ?, ?, ?)",
                           [(doc, *c) for c in credited_films(page.html)])
        db.executemany("INSERT INTO rawlinks VALUES (?, ?, ?)",
                       [(doc, lk.url, lk.text) for lk in page.out_links]
                       + [(doc, u, "") for f in page.facts for u in f.links])
    for url, doc in redirects:
        if doc in seen_docs:
            _add_alias(db, _url_name(url), doc, "redirect")
    # fact links and anchors point at canonical URLs: map them to indexed pages (redirects included)
    db.execute("UPDATE facts SET dst = (SELECT doc FROM urlmap WHERE url = facts.dst) WHERE dst IS NOT NULL")
    db.execute(
        "UPDATE docs SET anchors = coalesce((SELECT group_concat(r.text, ' | ') FROM rawlinks r "
        "JOIN urlmap m ON m.url = r.url WHERE m.doc = docs.url AND r.src != docs.url AND r.text != ''), '')")
    db.execute("INSERT OR IGNORE INTO links SELECT DISTINCT r.src, m.doc FROM rawlinks r "
               "JOIN urlmap m ON m.url = r.url WHERE m.doc != r.src")
    db.execute("DELETE FROM rawlinks")
    # drop aliases that collide with a different entity's subject (keep the subject owner)
    db.execute(
        "DELETE FROM aliases WHERE kind != 'subject' AND alias IN (SELECT alias FROM aliases WHERE kind = 'subject') "
        "AND doc NOT IN (SELECT a2.doc FROM aliases a2 WHERE a2.alias = aliases.alias AND a2.kind = 'subject')")
    db.execute("INSERT INTO fts(fts) VALUES ('rebuild')")
    db.execute("INSERT INTO fts(fts, rank) VALUES ('rank', ?)",
               (f"bm25({', '.join(str(x) for x in BM25_WEIGHTS)})",))
    db.execute("CREATE INDEX facts_src ON facts(src)")
    db.execute("CREATE INDEX facts_dst ON facts(dst)")
    db.execute("CREATE INDEX facts_kv ON facts(nkey, nvalue)")
    db.execute("CREATE INDEX docs_skey ON docs(skey)")


def _add_alias(db: sqlite3.Connection, name: str, doc: str, kind: str) -> None:
    a = fold(name)
    if a and len(a) >= 2:
        db.execute("INSERT OR IGNORE INTO aliases VALUES (?, ?, ?)", (a, doc, kind))


def _url_name(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    last = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    return re.sub(r"\.html?$", "", last).replace("_", " ")


# --- web search -------------------------------------------------------------------------------------
class StaticWebSearch:
    """Recorded web results from a JSON file ``{query: [{url, title, snippet}, ...]}`` (offline replay).

    Queries are matched after folding (case, accents, punctuation). Useful as a test double and to
    replay results captured from a real API.
    """

    name = "static-web"

    def __init__(self, path: str | Path | None = None, results: dict[str, list[dict]] | None = None) -> None:
        data = dict(results or {})
        if path is not None:
            data.update(json.loads(Path(path).read_text(encoding="utf-8")))
        self._results = {fold(q): v for q, v in data.items()}
        self.queries: list[str] = []

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        self.queries.append(query)
        rows = self._results.get(fold(query), [])[:k]
        return [SearchHit(url=r["url"], title=r.get("title", ""), snippet=r.get("snippet", ""),
                          score=float(len(rows) - i), source="web") for i, r in enumerate(rows)]


def load_web_search(dotted: str, options: dict | None = None) -> WebSearch:
    """Instantiate a user's WebSearch class from ``pkg.mod:Class`` or ``pkg.mod.Class``."""
    if ":" in dotted:
        mod_name, _, attr = dotted.partition(":")
    else:
        mod_name, _, attr = dotted.rpartition(".")
    if not mod_name or not attr:
        raise ValueError(f"web_search must be 'package.module:Class', got {dotted!r}")
    try:
        cls = getattr(importlib.import_module(mod_name), attr)
    except (ImportError, AttributeError) as e:
        raise ValueError(f"cannot load web_search {dotted!r}: {e}") from e
    obj = cls(**(options or {}))
    if not callable(getattr(obj, "search", None)):
        raise ValueError(f"web_search {dotted!r} has no search(query, k) method")
    if not getattr(obj, "name", ""):
        obj.name = attr  # type: ignore[attr-defined]
    return obj


class SearchRouter:
    """The search the rounds use: the local index, and the user's web API when one is configured."""

    def __init__(self, local: LocalSearchIndex, web: WebSearch | None = None, mode: str = "fallback") -> None:
        if mode not in ("fallback", "primary"):
            raise ValueError(f"web_search_mode must be 'fallback' or 'primary', not {mode!r}")
        self.local = local
        self.web = web
        self.mode = mode
        self.calls: dict[str, int] = {"local": 0, "web": 0}

    @property
    def name(self) -> str:
        return self.local.name if self.web is None else f"{self.local.name}+{self.web.name}"

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        if self.web is not None and self.mode == "primary":
            self.calls["web"] += 1
            hits = self.web.search(query, k)
            if hits:
                return hits
        self.calls["local"] += 1
        hits = self.local.search(query, k)
        if not hits and self.web is not None and self.mode == "fallback":
            self.calls["web"] += 1
            hits = self.web.search(query, k)
        return hits

    def doc_for_hit(self, hit: SearchHit) -> PageDoc:
        """The page of a hit: the indexed page when we have it, else what the web hit says."""
        doc = self.local.doc(hit.url)
        if doc is not None:
            return doc
        return PageDoc(url=hit.url, subject=clean_title(hit.title), description=hit.snippet, lead=hit.snippet,
                       local=False)


def iter_docs(index: LocalSearchIndex) -> Iterator[PageDoc]:
    """Every indexed page (for benchmarks and seed generation)."""
    for (url,) in index._db.execute("SELECT url FROM docs ORDER BY rowid").fetchall():
        d = index.doc(url)
        if d is not None:
            yield d
