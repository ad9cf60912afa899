"""The mining stage: registry, determinism, per-page cap, language and config errors."""

from __future__ import annotations

import pytest

from pipelines.counters import Counters
from schemas.records import Enumeration, Reject
from synth.config import DEFAULT_MINERS, SynthConfig
from synth.mine import mine
from synth.miners import MINERS
from tests.synth.test_miners_multi_hop import site


def run(pages, **cfg):
    rejects: list[Reject] = []
    counters = Counters()
    return list(mine(pages, SynthConfig(**cfg), counters, rejects.append)), rejects, counters


def test_registry_holds_the_default_miners() -> None:
    assert set(DEFAULT_MINERS) == set(MINERS) == {"count", "multi_hop", "intersection", "single_hop", "comparison",
                                                 "proposal", "obfuscated"}


def test_deterministic_sorted_and_counted() -> None:
    a, rej_a, counters = run(site())
    b, rej_b, _ = run(list(reversed(site())))
    assert [c.id for c in a] == [c.id for c in b] == sorted(c.id for c in a)
    assert [r.id for r in rej_a] == [r.id for r in rej_b]
    assert counters.get("mine/pages") == 6 and counters.get("mine/candidates") == len(a)
    types = {c.type for c in a}
    assert types == {"count", "multi_hop", "single_hop"}
    assert sum(counters.get(f"mine/candidates/{t}") for t in types) == len(a)
    assert all(r.stage == "mine" and counters.get(f"mine/dropped/{r.reason}") >= 1 for r in rej_a)


def test_a_callable_source_is_read_once() -> None:
    calls = []

    def source():
        calls.append(1)
        return iter(site())

    out, _, _ = run(source)  # type: ignore[arg-type]
    assert out and calls == [1]


def test_per_page_cap_round_robins_over_types() -> None:
    out, rejects, counters = run(site(), max_candidates_per_page=1)
    primaries = [c.source_urls[-1] if c.type == "multi_hop" else c.source_urls[0] for c in out]
    assert len(primaries) == len(set(primaries))
    assert counters.get("mine/dropped/page_cap") == sum(r.reason == "page_cap" for r in rejects) > 0


def test_only_selected_miners_run() -> None:
    out, _, _ = run(site(), miners=["count"])
    assert {c.type for c in out} <= {"count"}
    with pytest.raises(ValueError, match="unknown miner"):
        run(site(), miners=["count", "nope"])


def test_pages_in_other_languages_keep_links_but_yield_nothing() -> None:
    pages = site()
    pages[0] = pages[0].model_copy(update={"language": "de", "enumerations": [
        *pages[0].enumerations, Enumeration(kind="list", label="Orte", section="Orte", items=["a", "b"])]})
    out, rejects, _ = run(pages)
    assert any(r.reason == "unsupported_language" and r.url == pages[0].url for r in rejects)
    assert not any(pages[0].url == c.source_urls[0] for c in out)
    assert any(c.type == "multi_hop" for c in out)  # chains that pass through other pages still work


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        SynthConfig(min_count=5, max_count=2)
    with pytest.raises(ValueError):
        SynthConfig(min_hops=3, max_hops=2)
    with pytest.raises(ValueError):
        SynthConfig(unknown_field=1)
