"""A frozen browsing environment over a run folder: ``search`` and ``visit``, with no network.

    with BrowseEnv("data/RUN") as env:
        env.search("Ray Charles birthplace", k=5)     # [{"rank", "url", "title", "snippet"}, ...]
        env.visit("http://.../Ray_Charles.html")      # {"url", "title", "content", "links": [...]}
        env.tool_schemas()                            # OpenAI function-calling tools
        env.call("search", '{"query": "..."}')        # JSON text, what a model sees as the tool result

``search`` is the run's local full-text index (:class:`synth.search.LocalSearchIndex`, kept in
``RUN/_index/search.sqlite``); ``visit`` returns the saved page as markdown: its title and URL, its
infobox facts, its main text (``Page.text``) and its numbered out-links (``Page.out_links``), read
from a small page store ``RUN/_index/env.sqlite`` (built once from ``pages/``, rebuilt when the
pages shards change; a killed build leaves no half-written file). An E2HQA run has no ``pages/``:
its corpus run (``_state/e2h_inputs.json``) is used, with the index of the e2h run's ``_index/``.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from synth.search import LocalSearchIndex, fold, pages_fingerprint

STORE_FILE = "env.sqlite"
STORE_FORMAT = "2"
MAX_K = 10
DEFAULT_MAX_CHARS = 12_000
MAX_LINKS = 300

SEARCH_SCHEMA = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Search the frozen web corpus. Returns the best pages (rank, url, title, snippet).",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "search query"},
                "k": {"type": "integer", "description": f"number of results (1-{MAX_K})", "minimum": 1,
                      "maximum": MAX_K, "default": 5},
            },
            "required": ["query"],
            "additionalProperties": False,
        },
    },
}
VISIT_SCHEMA = {
    "type": "function",
    "function": {
        "name": "visit",
        "description": "Open a page of the corpus by URL. Returns its text as markdown with numbered links.",
        "parameters": {
            "type": "object",
            "properties": {"url": {"type": "string", "description": "absolute URL of the page"}},
            "required": ["url"],
            "additionalProperties": False,
        },
    },
}
TOOL_NAMES = ("search", "visit")


class ToolError(ValueError):
    """A tool call that cannot be run (unknown tool, bad arguments): reported to the model as an error."""


def corpus_pages_dir(run_path: Path) -> Path:
    """The pages folder the env reads: ``RUN/pages``, or the corpus run's of an E2HQA run."""
    pages = run_path / "pages"
    if pages.is_dir() and any(pages.glob("part-*.parquet")):
        return pages
    pinned = run_path / "_state" / "e2h_inputs.json"
    if pinned.is_file():
        corpus = json.loads(pinned.read_text()).get("corpus")
        if corpus and (Path(corpus) / "pages").is_dir():
            return Path(corpus) / "pages"
    raise FileNotFoundError(f"{run_path} has no pages/ shards (and no e2h corpus run pinned)")


def open_index(run_path: Path | str, *, rebuild: bool = False) -> LocalSearchIndex:
    """The run's search index (``RUN/_index/search.sqlite``), built or rebuilt from its pages."""
    run_path = Path(run_path)
    return LocalSearchIndex.for_pages(corpus_pages_dir(run_path), run_path / "_index", rebuild=rebuild)


def page_body(index: LocalSearchIndex, url: str) -> str:
    """The extracted main text the index holds for ``url`` ('' when the page is not indexed)."""
    row = index._db.execute(
        "SELECT d.body FROM urlmap m JOIN docs d ON d.url = m.doc WHERE m.url = ?", (url,)).fetchone()
    return row[0] or "" if row else ""


# --- the page store -----------------------------------------------------------------------------
_STORE_SCHEMA = """
CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT);
CREATE TABLE pages(url TEXT PRIMARY KEY, title TEXT, text TEXT, facts TEXT, links TEXT, lists TEXT);
CREATE TABLE urlmap(url TEXT PRIMARY KEY, doc TEXT);
"""


def _build_store(pages_dir: Path, path: Path, fingerprint: str) -> None:
    import pyarrow.parquet as pq

    from pipelines.shards import shard_paths

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.executescript(_STORE_SCHEMA)
        cols = ["url", "final_url", "status", "title", "subject", "text", "facts", "out_links", "enumerations"]
        for p in shard_paths(pages_dir):
            for batch in pq.ParquetFile(p).iter_batches(columns=cols, batch_size=256):
                for row in batch.to_pylist():
                    if (row["status"] or 0) >= 400:
                        continue
                    doc = row["final_url"] or row["url"]
                    db.execute("INSERT OR IGNORE INTO urlmap VALUES (?, ?)", (row["url"], doc))
                    db.execute("INSERT OR IGNORE INTO urlmap VALUES (?, ?)", (doc, doc))
                    facts = [[f["key"], f["value"]] for f in row["facts"] or []
                             if f.get("source", "infobox") in ("infobox", "meta", "sidebar")]
                    links = [[lk["url"], lk.get("text") or ""] for lk in row["out_links"] or []]
                    lists = [[e["label"], e["items"]] for e in row["enumerations"] or []
                             if e.get("kind") != "infobox" and e["items"]]
                    db.execute("INSERT OR IGNORE INTO pages VALUES (?, ?, ?, ?, ?, ?)",
                               (doc, row["subject"] or row["title"] or "", row["text"] or "",
                                json.dumps(facts, ensure_ascii=False), json.dumps(links, ensure_ascii=False),
                                json.dumps(lists, ensure_ascii=False)))
        db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", STORE_FORMAT), ("fingerprint", fingerprint)])
        db.commit()
        db.close()
        os.replace(tmp, path)
    except BaseException:
        db.close()
        tmp.unlink(missing_ok=True)
        raise


def _open_store(pages_dir: Path, index_dir: Path, rebuild: bool) -> sqlite3.Connection:
    path = index_dir / STORE_FILE
    fp = pages_fingerprint(pages_dir)
    if path.exists() and not rebuild:
        db = sqlite3.connect(path, check_same_thread=False)
        try:
            meta = dict(db.execute("SELECT k, v FROM meta").fetchall())
        except sqlite3.DatabaseError:
            meta = {}
        if meta.get("format") == STORE_FORMAT and meta.get("fingerprint") == fp:
            return db
        db.close()
    _build_store(pages_dir, path, fp)
    return sqlite3.connect(path, check_same_thread=False)


class BrowseEnv:
    """``search`` / ``visit`` over a run folder's saved pages. See the module docstring.

    ``max_chars`` caps the main text of a visited page (facts and links are always shown); a
    visit's result says ``truncated``. One instance per thread (SQLite connections)."""

    def __init__(self, run_dir: Path | str, *, max_chars: int = DEFAULT_MAX_CHARS, rebuild: bool = False,
                 index: LocalSearchIndex | None = None) -> None:
        self.run_path = Path(run_dir).resolve()
        pages_dir = corpus_pages_dir(self.run_path)
        self.index = index if index is not None else LocalSearchIndex.for_pages(
            pages_dir, self.run_path / "_index", rebuild=rebuild)
        self._own_index = index is None
        self._store = _open_store(pages_dir, self.run_path / "_index", rebuild)
        self._store.execute("PRAGMA query_only = ON")
        self.max_chars = int(max_chars)

    def __enter__(self) -> BrowseEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._store.close()
        if self._own_index:
            self.index.close()

    # --- tools ----------------------------------------------------------------------------------
    def search(self, query: str, k: int = 5) -> list[dict]:
        """The best pages for ``query`` (1 ≤ k ≤ 10): rank (1-based), url, title, snippet."""
        k = max(1, min(MAX_K, int(k)))
        return [{"rank": i, "url": h.url, "title": h.title, "snippet": h.snippet}
                for i, h in enumerate(self.index.search(str(query), k), 1)]

    def resolve(self, url: str) -> str | None:
        """The stored page a URL leads to (redirects followed), None when the corpus has no such page."""
        url = str(url).strip()
        for u in (url, url.rstrip("/"), url + "/"):
            row = self._store.execute("SELECT doc FROM urlmap WHERE url = ?", (u,)).fetchone()
            if row:
                return row[0]
        return None

    def page(self, url: str) -> dict | None:
        """The stored page for a URL: url, title, text, facts [[key, value]], links [[url, text]], lists
        [[label, items]] (the page's lists and tables as the crawl read them from its HTML)."""
        doc = self.resolve(url)
        if doc is None:
            return None
        row = self._store.execute("SELECT url, title, text, facts, links, lists FROM pages WHERE url = ?",
                                  (doc,)).fetchone()
        if row is None:
            return None
        return {"url": row[0], "title": row[1], "text": row[2], "facts": json.loads(row[3]),
                "links": json.loads(row[4]), "lists": json.loads(row[5])}

    def visit(self, url: str, *, max_chars: int | None = None) -> dict:
        """The saved page as markdown (title, URL, facts, main text, lists, numbered links).

        ``{"url", "title", "content", "links": [{"n", "url", "text"}], "truncated"}``, or
        ``{"url", "error": "not_found"}`` for a URL the corpus does not hold."""
        p = self.page(url)
        if p is None:
            return {"url": str(url), "error": "not_found"}
        limit = self.max_chars if max_chars is None else int(max_chars)
        text = p["text"] or ""
        truncated = len(text) > limit
        if truncated:
            text = text[:limit].rstrip() + " …"
        links = [{"n": i, "url": u, "text": t} for i, (u, t) in enumerate(p["links"][:MAX_LINKS], 1)]
        parts = [f"# {p['title']}", f"URL: {p['url']}"]
        if p["facts"]:
            parts.append("## Facts\n" + "\n".join(f"- {k}: {v}" for k, v in p["facts"]))
        parts.append(text)
        if p["lists"]:
            parts.append("## Lists\n" + "\n\n".join(f"{label}:\n" + "\n".join(f"- {i}" for i in items)
                                                     for label, items in p["lists"]))
        if links:
            parts.append("## Links\n" + "\n".join(f"[{lk['n']}] {lk['text'] or lk['url']} ({lk['url']})"
                                                for lk in links))
        return {"url": p["url"], "title": p["title"], "content": "\n\n".join(parts), "links": links,
                "truncated": truncated}

    def links(self, url: str) -> list[str]:
        p = self.page(url)
        return [u for u, _ in p["links"]] if p else []

    # --- function calling -----------------------------------------------------------------------
    @staticmethod
    def tool_schemas() -> list[dict]:
        """The tools in OpenAI function-calling form (``tools=`` of a chat completion request)."""
        return json.loads(json.dumps([SEARCH_SCHEMA, VISIT_SCHEMA]))

    def call(self, name: str, arguments_json: str | dict) -> str:
        """Run a tool call as a model sends it; the result as JSON text (errors included, never raised)."""
        try:
            return json.dumps(self.call_obj(name, arguments_json), ensure_ascii=False)
        except ToolError as exc:
            return json.dumps({"error": str(exc)}, ensure_ascii=False)

    def call_obj(self, name: str, arguments_json: str | dict) -> Any:
        """Like :meth:`call` but returns the result object; raises :class:`ToolError` on a bad call."""
        args = parse_arguments(name, arguments_json)
        if name == "search":
            return {"results": self.search(args["query"], args.get("k", 5))}
        return self.visit(args["url"])


def parse_arguments(name: str, arguments_json: str | dict) -> dict:
    """Validate a tool call's arguments against the schemas; raise :class:`ToolError` when invalid."""
    if name not in TOOL_NAMES:
        raise ToolError(f"unknown tool {name!r} (tools: {', '.join(TOOL_NAMES)})")
    if isinstance(arguments_json, dict):
        args = arguments_json
    else:
        try:
            args = json.loads(arguments_json or "{}")
        except json.JSONDecodeError as exc:
            raise ToolError(f"arguments of {name} are not JSON: {exc.msg}") from None
    if not isinstance(args, dict):
        raise ToolError(f"arguments of {name} must be an object")
    schema = (SEARCH_SCHEMA if name == "search" else VISIT_SCHEMA)["function"]["parameters"]
    extra = set(args) - set(schema["properties"])
    if extra:
        raise ToolError(f"unknown argument(s) of {name}: {sorted(extra)}")
    for req in schema["required"]:
        if not isinstance(args.get(req), str) or not args[req].strip():
            raise ToolError(f"{name} needs a non-empty string {req!r}")
    if "k" in args:
        k = args["k"]
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise ToolError(f"search k must be an integer from 1 to {MAX_K}")
    return args


def folded_words(text: str) -> set[str]:
    return set(fold(text).split())
