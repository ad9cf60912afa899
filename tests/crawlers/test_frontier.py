"""The frontier on hand-made link graphs: exact limits, BFS click paths, determinism."""

from __future__ import annotations

import random

from crawlers.frontier import Frontier

H = "http://site.test"


def u(name: str) -> str:
    return f"{H}/{name}"


def links(*names: str) -> list[tuple[str, str, str]]:
    return [(u(n), u(n), f"to {n}") for n in names]


GRAPH = {  # a small site: r -> a b c ; a -> d e ; b -> e f ; c -> g ; d -> h ; e -> r (back link)
    "r": ("a", "b", "c"),
    "a": ("d", "e"),
    "b": ("e", "f"),
    "c": ("g",),
    "d": ("h",),
    "e": ("r",),
    "f": (),
    "g": (),
    "h": (),
}


def crawl(fr: Frontier, graph=GRAPH, fail=(), alias=None, shuffle: random.Random | None = None) -> list:
    """Drive the frontier like the spider: fetch each wave (in any order), then ask for the next."""
    alias = alias or {}
    waves = []
    batch = fr.start()
    while batch:
        waves.append(sorted(a.key for a in batch))
        if shuffle:
            shuffle.shuffle(batch)
        for adm in batch:
            name = adm.key.rsplit("/", 1)[1]
            if name in fail:
                fr.add_failure(adm.key)
                continue
            if name in alias:
                fr.add_alias(adm.key, u(alias[name]))
                name = alias[name]
                if u(name) in fr.pages:
                    continue
            fr.add_page(u(name), links(*graph.get(name, ())))
        batch = fr.next_batch()
    return waves


def make(**kw) -> Frontier:
    opts = {"max_depth": 5, "max_pages_per_root": 100, "max_pages": 100} | kw
    return Frontier([u("r")], **opts)


def test_bfs_depth_parent_and_anchor() -> None:
    fr = make()
    crawl(fr)
    a = fr.assign()
    assert {k.rsplit("/", 1)[1]: (c.depth, c.parent and c.parent.rsplit("/", 1)[1]) for k, c in a.claims.items()} == {
        "r": (0, None), "a": (1, "r"), "b": (1, "r"), "c": (1, "r"),
        "d": (2, "a"), "e": (2, "a"), "f": (2, "b"), "g": (2, "c"), "h": (3, "d"),
    }
    assert a.claims[u("e")].anchor == "to e"  # first parent in BFS order, its own anchor


def test_max_depth_is_exact() -> None:
    for depth, expected in ((0, {"r"}), (1, {"r", "a", "b", "c"}), (2, {"r", "a", "b", "c", "d", "e", "f", "g"})):
        fr = make(max_depth=depth)
        crawl(fr)
        assert {k.rsplit("/", 1)[1] for k in fr.assign().claims} == expected
        assert set(fr.pages) == {u(n) for n in expected}  # nothing fetched beyond the limit


def test_page_limit_is_exact_and_takes_the_bfs_prefix() -> None:
    for cap in range(1, 10):
        fr = make(max_pages_per_root=cap)
        crawl(fr)
        claims = fr.assign().claims
        assert len(claims) == cap
        assert len(fr.pages) == cap  # fetched no more than kept
        order = ["r", "a", "b", "c", "d", "e", "f", "g", "h"][:cap]
        assert set(claims) == {u(n) for n in order}


def test_failures_free_their_budget() -> None:
    fr = make(max_pages_per_root=4)
    waves = crawl(fr, fail={"b"})
    assert {k.rsplit("/", 1)[1] for k in fr.assign().claims} == {"r", "a", "c", "d"}
    assert len(waves) == 3  # roots, then 3 at depth 1, then one top-up for the failed one


def test_redirect_aliases_collapse_onto_one_page() -> None:
    graph = dict(GRAPH, r=("a", "stub", "b"))
    fr = make()
    crawl(fr, graph=graph, alias={"stub": "a"})
    claims = fr.assign().claims
    assert u("stub") not in claims and u("a") in claims
    assert fr.resolve(u("stub")) == u("a")


def test_global_limit_and_root_ownership() -> None:
    graph = {"r": ("a", "b"), "s": ("b", "c"), "a": (), "b": (), "c": ()}
    fr = Frontier([u("r"), u("s")], max_depth=2, max_pages_per_root=10, max_pages=4)
    crawl(fr, graph=graph)
    a = fr.assign()
    owners = {k.rsplit("/", 1)[1]: c.root for k, c in a.claims.items()}
    assert len(owners) == 4
    assert owners["r"] == 0 and owners["s"] == 1 and owners["b"] == 0  # first root wins a tie


def test_roots_are_deduplicated_and_policy_applies() -> None:
    fr = Frontier([u("r"), u("r#top")], max_depth=1, max_pages_per_root=10, max_pages=10,
                  policy=lambda _r, url: "offsite" if url.endswith("/b") else None)
    assert len(fr.start()) == 1
    fr.add_page(u("r"), links("a", "b"))
    assert [x.key for x in fr.next_batch()] == [u("a")]
    assert fr.refused == [(0, u("b"), "offsite")]


def test_result_does_not_depend_on_fetch_order() -> None:
    results = set()
    for seed in range(5):
        fr = make(max_pages_per_root=6)
        crawl(fr, shuffle=random.Random(seed))
        results.add(tuple(sorted((k, c.depth, c.parent) for k, c in fr.assign().claims.items())))
    assert len(results) == 1


def test_refused_roots_are_reported() -> None:
    fr = Frontier([u("r"), "ftp://site.test/x"], max_depth=1, max_pages_per_root=10, max_pages=10,
                  policy=lambda _r, url: None if url.startswith("http") else "scheme")
    assert [a.key for a in fr.start()] == [u("r")]
    assert fr.refused_roots == [(1, "ftp://site.test/x", "scheme")]
