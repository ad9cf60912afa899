"""The crawl frontier: which URLs to fetch next, and who reached each page how.

The crawl advances in waves. Between waves (when Scrapy is idle, nothing in flight) the frontier
looks at the link graph fetched so far and admits the next URLs; the spider never schedules from its
callbacks. Each decision therefore depends only on what was fetched (the site's content), never on
the order responses happened to arrive, and the limits are exact:

* ``assign()`` runs a multi-source BFS from the roots over the fetched pages (links in document
  order, roots in the order given, a page belongs to the first root that reaches it at the lowest
  depth) and caps each root at ``max_pages_per_root`` and the run at ``max_pages``. It gives every
  page its ``root``, ``depth``, ``parent`` and ``anchor``: the click path from the root.
* ``next_batch()`` admits, per root, the unknown links of its pages at the lowest open depth
  (``<= max_depth``), no more than the root's and the run's remaining budget (roots interleaved).
  Admitted URLs that end without a page (404, robots...) free their budget for the next wave.

The same ``assign()`` runs again at the end (``crawlers.finalize``) to write the pages.

``<link rel="canonical">``: a fetched page that declares another canonical URL (``add_canonical``)
is recorded under that URL. All the pages declaring one canonical URL, and that URL itself when it
was fetched, are one node of the BFS: it is claimed once, under the canonical URL, by the first
link that reaches any of them, and its content (and links) are those of one fetched page, the
``source``: the canonical URL's own page when it was fetched, else the smallest key among the pages
declaring it (never the arrival order). A canonical URL that a fetched page declares is not
requested itself.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from crawlers.urls import canonicalize

Link = tuple[str, str, str]  # (canonical key, URL to fetch, anchor text)
Policy = Callable[[int, str], str | None]  # (root index, url) -> reason to refuse, or None


def pack_links(links: list[Link]) -> bytes:
    """A page's content links as stored by the frontier and the spool: zlib-compressed JSON.

    The link graph is the one structure of a crawl that grows with every page (a Wikipedia article
    carries hundreds of links): as Python tuples it cost ~36 KB per page, packed ~5 KB. The BFS
    only ever reads the links of pages above the depth limit, and unpacks them when it does.
    """
    return zlib.compress(json.dumps(links, ensure_ascii=False, separators=(",", ":")).encode(), 1)


def unpack_links(blob: bytes) -> list[Link]:
    return [tuple(x) for x in json.loads(zlib.decompress(blob))]  # type: ignore[misc]


@dataclass(frozen=True)
class Admission:
    root: int
    depth: int
    key: str
    url: str
    parent: str | None = None
    anchor: str | None = None


@dataclass(frozen=True)
class Claim:
    root: int
    depth: int
    parent: str | None
    anchor: str | None


@dataclass
class Assignment:
    claims: dict[str, Claim] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)  # claimed key -> fetched page key it shows
    order: list[list[list[str]]] = field(default_factory=list)  # order[root][depth] = keys in BFS order
    counts: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.claims)


class Frontier:
    """Link graph + limits. Pure Python, no Scrapy: the spider feeds it, ``finalize`` reuses it."""

    def __init__(
        self,
        roots: list[str],
        *,
        max_depth: int,
        max_pages_per_root: int,
        max_pages: int,
        policy: Policy | None = None,
    ) -> None:
        self.roots = list(roots)
        self.root_keys = [canonicalize(r) for r in roots]
        self.max_depth = max_depth
        self.cap = max_pages_per_root
        self.max_pages = max_pages
        self.policy: Policy = policy or (lambda _root, _url: None)
        self.pages: dict[str, bytes] = {}  # fetched HTML pages: key -> content links (``pack_links``)
        self.alias: dict[str, str] = {}  # redirect source key -> target key
        self.failed: set[str] = set()  # keys that ended without a page
        self.requested: set[str] = set()  # keys admitted so far (in flight or done)
        self.canonical: dict[str, str] = {}  # fetched page key -> the other canonical key it declares
        self.canonical_targets: set[str] = set()
        self._refusals: dict[tuple[int, str], str | None] = {}
        self.refused: list[tuple[int, str, str]] = []  # (root, url, reason), each once
        self.refused_roots: list[tuple[int, str, str]] = []  # (root, url, reason)

    # -- feeding -----------------------------------------------------------------------------
    def add_page(self, key: str, links: list[Link] | bytes) -> None:
        """A fetched page and its content links (a list, or already ``pack_links``-ed)."""
        self.pages[key] = links if isinstance(links, bytes) else pack_links(links)

    def links(self, key: str) -> list[Link]:
        """The content links of fetched page ``key``, in document order."""
        return unpack_links(self.pages[key])

    def add_alias(self, source: str, target: str) -> None:
        if source != target:
            self.alias[source] = target

    def add_failure(self, key: str) -> None:
        self.failed.add(key)

    def add_canonical(self, key: str, canonical: str) -> None:
        """Fetched page ``key`` declares ``canonical`` (``<link rel="canonical">``)."""
        if key != canonical:
            self.canonical[key] = canonical
            self.canonical_targets.add(canonical)

    def identity(self, key: str) -> str:
        """The key a fetched page is recorded under: its canonical URL if it declared one."""
        return self.canonical.get(key, key)

    def sources(self) -> dict[str, str]:
        """Canonical key -> the fetched page shown under it (see the module doc)."""
        members: dict[str, list[str]] = {}
        for key, canonical in self.canonical.items():
            members.setdefault(canonical, []).append(key)
        return {c: c if (c in self.pages and c not in self.canonical) else min(keys)
                for c, keys in members.items()}

    def resolve(self, key: str) -> str:
        seen = 0
        while key in self.alias and seen < 50:
            key = self.alias[key]
            seen += 1
        return key

    def refusal(self, root: int, url: str) -> str | None:
        """The policy's verdict for a URL under a root (computed and recorded once)."""
        k = (root, url)
        if k not in self._refusals:
            reason = self.policy(root, url)
            self._refusals[k] = reason
            if reason:
                self.refused.append((root, url, reason))
        return self._refusals[k]

    # -- the BFS -----------------------------------------------------------------------------
    def assign(self) -> Assignment:
        """Multi-source layered BFS over the fetched pages, with the page caps."""
        n = len(self.roots)
        out = Assignment(order=[[] for _ in range(n)], counts=[0] * n)
        claims, source = out.claims, out.source
        sources = self.sources() if self.canonical else {}

        def room(r: int) -> bool:
            return out.counts[r] < self.cap and len(claims) < self.max_pages

        def node(key: str) -> tuple[str, str] | None:
            """(key recorded, fetched page shown) for a link, or None when nothing was fetched."""
            k = self.resolve(key)
            c = self.canonical.get(k, k)
            if c in sources:
                return c, sources[c]
            return (k, k) if k in self.pages else None

        layer: list[list[str]] = [[] for _ in range(n)]
        for r, rk in enumerate(self.root_keys):
            got = node(rk)
            if got is not None and got[0] not in claims and room(r) and not self.refusal(r, got[0]):
                claims[got[0]] = Claim(r, 0, None, None)
                source[got[0]] = got[1]
                out.counts[r] += 1
                layer[r] = [got[0]]
            out.order[r].append(list(layer[r]))
        for depth in range(1, self.max_depth + 1):
            nxt: list[list[str]] = [[] for _ in range(n)]
            for r in range(n):
                for parent in layer[r]:
                    if not room(r):
                        break
                    for lk, _url, text in self.links(source[parent]):
                        got = node(lk)
                        if got is None or got[0] in claims or self.refusal(r, got[0]):
                            continue
                        if not room(r):
                            break
                        k = got[0]
                        claims[k] = Claim(r, depth, parent, text)
                        source[k] = got[1]
                        out.counts[r] += 1
                        nxt[r].append(k)
                out.order[r].append(nxt[r])
            layer = nxt
            if not any(layer):
                break
        return out

    # -- admission ---------------------------------------------------------------------------
    def start(self) -> list[Admission]:
        """The roots (once per canonical key)."""
        out: list[Admission] = []
        for r, (url, key) in enumerate(zip(self.roots, self.root_keys, strict=True)):
            if key in self.requested:
                continue
            reason = self.policy(r, key)
            if reason:
                self.failed.add(key)
                self.refused_roots.append((r, url, reason))
                continue
            self.requested.add(key)
            out.append(Admission(r, 0, key, url))
        return out

    def _known(self, key: str) -> bool:
        if key in self.requested or key in self.failed or key in self.canonical_targets:
            return True
        k = self.resolve(key)
        return k in self.pages or k in self.failed or k in self.requested or k in self.canonical_targets

    def _candidates(self, r: int, a: Assignment) -> list[Admission]:
        """Unknown links of root ``r``'s pages at the lowest open depth, in BFS/document order."""
        order = a.order[r]
        for depth in range(1, self.max_depth + 1):
            if depth - 1 >= len(order):
                break
            out: list[Admission] = []
            seen: set[str] = set()
            for parent in order[depth - 1]:
                for lk, url, text in self.links(a.source[parent]):
                    if lk in seen or self._known(lk):
                        continue
                    seen.add(lk)
                    if self.refusal(r, lk):
                        continue
                    out.append(Admission(r, depth, lk, url, parent, text))
            if out:
                return out
        return []

    def next_batch(self) -> list[Admission]:
        """What to fetch in the next wave ([] when the crawl is complete)."""
        a = self.assign()
        budget = self.max_pages - a.total
        if budget <= 0:
            return []
        queues = []
        for r in range(len(self.roots)):
            room = self.cap - a.counts[r]
            queues.append(self._candidates(r, a)[:room] if room > 0 else [])
        batch: list[Admission] = []
        taken: set[str] = set()
        i = 0
        while budget > 0 and any(i < len(q) for q in queues):
            for q in queues:
                if i < len(q) and budget > 0 and q[i].key not in taken:
                    batch.append(q[i])
                    taken.add(q[i].key)
                    budget -= 1
            i += 1
        for adm in batch:
            self.requested.add(adm.key)
        return batch
