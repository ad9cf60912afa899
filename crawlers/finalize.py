"""Turn a crawl's spool into page and reject shards, deterministically.

The click path of every page (root, depth, parent, anchor) is recomputed here with the frontier's
BFS over the fetched link graph, so it does not depend on the order responses arrived. Pages are
written sorted by (root order, depth, URL), rejects by (stage, reason, URL), one page at a time
from the spool (memory stays flat). The only timing-dependent field is ``fetched_at``: the
response's ``Date`` header, which the HTTP cache replays, so a re-run served from the cache writes
identical shards.

A page that declared another canonical URL (``<link rel="canonical">``) is written under that URL,
once per canonical URL (``crawlers/frontier.py`` says which fetched page is shown).

A page whose extracted text equals an earlier page's of the same site profile (one page under two
URLs) is an ``extract`` reject ``duplicate_text``, written once under the first URL.

A page whose extraction failed is an ``extract`` reject whose payload keeps its click path
(``root_url``, ``depth``, ``parent_url``, ``anchor_text``), so paths through it can still be rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from crawlers.config import CrawlConfig
from crawlers.extract import Extracted
from crawlers.frontier import Frontier, unpack_links
from crawlers.safety import AddressPolicy, make_policy
from crawlers.spool import Spool
from crawlers.urls import canonicalize
from pipelines.shards import ShardInfo, ShardWriter
from schemas.ids import page_id, reject_id
from schemas.records import Enumeration, Fact, Link, Page, Reject

log = logging.getLogger(__name__)


@dataclass
class Finalized:
    pages: list[ShardInfo] = field(default_factory=list)
    rejects: list[ShardInfo] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    per_root: dict[str, int] = field(default_factory=dict)
    empty_roots: list[str] = field(default_factory=list)
    empty_root_reasons: dict[str, str] = field(default_factory=dict)  # root -> why it yielded nothing


def _dt(value: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return datetime(1970, 1, 1, tzinfo=UTC)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def golden_path(url: str, parents: dict[str, str | None]) -> list[str]:
    """Click path from the root to ``url`` given each page's ``parent_url`` (root first)."""
    path = [url]
    seen = {url}
    while (parent := parents.get(path[-1])) is not None and parent not in seen:
        path.append(parent)
        seen.add(parent)
    return path[::-1]


def finalize(
    spool_path: Path,
    roots: list[str],
    cfg: CrawlConfig,
    *,
    pages_dir: Path,
    rejects_dir: Path,
    run_id: str,
    rejects_start_index: int = 0,
) -> Finalized:
    counters: Counter[str] = Counter()
    frontier = Frontier(
        roots, max_depth=cfg.max_depth, max_pages_per_root=cfg.max_pages_per_root,
        max_pages=cfg.max_pages,
        policy=make_policy(roots, cfg.allowed_domains, AddressPolicy.for_roots(roots, allow_private=cfg.allow_private)),
    )
    reject_rows: dict[str, Reject] = {}

    def add_reject(stage: str, reason: str, key: str, url: str, detail: str, payload: dict | None = None) -> None:
        rid = reject_id(stage, reason, page_id(key))
        if rid not in reject_rows:
            reject_rows[rid] = Reject(
                id=rid, stage=stage, reason=reason, detail=detail[:1000], record_id=page_id(key), url=url,
                run_id=run_id, payload_json=json.dumps(payload or {}, ensure_ascii=False, sort_keys=True),
            )

    with Spool(spool_path) as spool:
        meta = {}
        for row in spool.fetches():
            frontier.add_page(row.key, row.links)
            meta[row.key] = row
        for src, dst in spool.aliases().items():
            frontier.add_alias(src, dst)
        for key, target in spool.canonicals().items():
            frontier.add_canonical(key, target)
        assignment = frontier.assign()
        claims, source = assignment.claims, assignment.source
        for stage, reason, key, url, _root, detail in spool.rejects():
            add_reject(stage, reason, key, url, detail)
        shown = set(source.values())
        duplicates = {k for k in meta if k not in shown and frontier.identity(k) in claims}
        if duplicates:  # pages that declared a canonical URL recorded from another of its pages
            counters["crawl/canonical_duplicates"] += len(duplicates)
        unclaimed = set(meta) - shown - duplicates
        if unclaimed:
            counters["crawl/over_budget"] += len(unclaimed)
            log.info("%d fetched page(s) beyond the limits once the link graph was complete", len(unclaimed))

        order = sorted(claims, key=lambda k: (claims[k].root, claims[k].depth, k))
        per_root = Counter()
        texts: dict[tuple[str, bytes], str] = {}  # (site, digest of the extracted text) → first URL
        # rows carry the raw HTML: small row groups keep the writer's buffer to a few MB
        with ShardWriter(pages_dir, Page, rows_per_shard=cfg.pages_per_shard, row_group_rows=100) as pw:
            for key in order:
                # ``key`` is the URL the page is recorded under (its canonical URL when it declared
                # one), ``src`` the fetched page shown (see crawlers/frontier.py)
                src = source[key]
                claim, row = claims[key], meta[src]
                nav = {"root_url": roots[claim.root], "depth": claim.depth,
                       "parent_url": claim.parent, "anchor_text": claim.anchor}
                got = spool.extraction(src)
                if got is None:
                    add_reject("extract", "extract_failed", key, key, "no extraction result", nav)
                    continue
                ok, reason, detail, data = got
                if not ok:
                    add_reject("extract", reason, key, key, detail, nav)
                    continue
                ex = Extracted.unpack(data)
                if ex.text.strip():
                    # the same page under two URLs the canonicalisation could not fold (a mirror
                    # that ignores ?skip=2): written once, under the first URL in crawl order
                    digest = (row.site, hashlib.blake2b(ex.text.encode(), digest_size=16).digest())
                    first = texts.setdefault(digest, key)
                    if first != key:
                        add_reject("extract", "duplicate_text", key, key, f"same extracted text as {first}", nav)
                        continue
                if ex.facts_error:
                    counters["extract/facts_error"] += 1
                facts, enums = _structure(ex, counters)
                # a fact's or list item's link to a redirect stub ("David_Newman_(jazz_musician)")
                # names the page the stub leads to, as the page's out-links do
                _resolve_links(facts, enums, lambda u: frontier.identity(frontier.resolve(u)))
                links, seen = [], {key}
                for lk, _url, text in unpack_links(row.links):
                    target = frontier.identity(frontier.resolve(lk))
                    if target not in seen:
                        seen.add(target)
                        links.append(Link(url=target, text=text))
                page = Page(
                    id=page_id(key), url=key, final_url=row.final_url, root_url=roots[claim.root],
                    depth=claim.depth, parent_url=claim.parent, anchor_text=claim.anchor,
                    status=row.status, content_type=row.content_type, fetched_at=_dt(row.fetched_at),
                    title=ex.title, subject=ex.subject, description=ex.description, text=ex.text,
                    html=spool.html(src), language=ex.language, date=ex.date, site=row.site,
                    out_links=links, facts=facts, enumerations=enums,
                )
                pw.write(page)
                per_root[claim.root] += 1
                counters["extract/ok"] += 1
            page_shards = pw.close()

    with ShardWriter(rejects_dir, Reject, start_index=rejects_start_index,
                     rows_per_shard=50_000) as rw:
        for rej in sorted(reject_rows.values(), key=lambda r: (r.stage, r.reason, r.url, r.id)):
            rw.write(rej)
        reject_shards = rw.close()

    for rej in reject_rows.values():
        counters[f"{rej.stage}/dropped/{rej.reason}"] += 1
    out = Finalized(pages=page_shards, rejects=reject_shards)
    out.per_root = {}
    for i, root in enumerate(roots):
        out.per_root[root] = out.per_root.get(root, 0) + per_root.get(i, 0)
    out.empty_roots = [r for r, n in out.per_root.items() if n == 0]
    by_key = {}
    for rej in reject_rows.values():
        by_key.setdefault(rej.record_id, f"{rej.stage}/{rej.reason}: {rej.detail}"[:300])
    for r in out.empty_roots:
        key = frontier.resolve(canonicalize(r))
        why = by_key.get(page_id(key)) or by_key.get(page_id(canonicalize(r)))
        if why is None:
            why = "duplicate of an earlier root" if canonicalize(r) in frontier.root_keys[: roots.index(r)] \
                else "no page within the limits"
        out.empty_root_reasons[r] = why
    counters["crawl/pages_written"] = sum(per_root.values())
    counters["crawl/roots"] = len(roots)
    counters["crawl/empty_roots"] = len(out.empty_roots)
    out.counters = dict(sorted(counters.items()))
    return out


def _structure(ex: Extracted, counters: Counter[str]) -> tuple[list[Fact], list[Enumeration]]:
    facts, enums = [], []
    for d in ex.facts:
        try:
            facts.append(Fact(**d))
        except (ValidationError, TypeError):
            counters["extract/facts_invalid"] += 1
    for d in ex.enumerations:
        try:
            enums.append(Enumeration(**d))
        except (ValidationError, TypeError):
            counters["extract/facts_invalid"] += 1
    return facts, enums


def _resolve_links(facts: list[Fact], enums: list[Enumeration], resolve: Callable[[str], str]) -> None:
    """Facts' links and enumeration items' links through the crawl's redirects and canonical URLs,
    in place ('' stays '')."""
    for f in facts:
        if f.links:
            f.links = list(dict.fromkeys(resolve(u) for u in f.links))
    for e in enums:
        if any(e.item_links):
            e.item_links = [resolve(u) if u else "" for u in e.item_links]
