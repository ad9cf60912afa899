from __future__ import annotations

import pytest

from agents.env import open_index
from filters.base import FilterChain
from filters.shortcut import (
    ShortcutFilter,
    counted_nouns,
    is_count_answer,
    shortcut_rank,
    states_total,
)
from pipelines.counters import Counters
from tests.agents.conftest import page, record, url, write_pages


@pytest.fixture
def index(tmp_path):
    pages = [
        page("Alpha", "Alpha is a record label founded in Dunmoor in 1990."),
        page("Beta", "Beta is a glass pop band signed to Alpha. Its singer is Gamma."),
        page("Gamma", "Gamma is a singer born on 8 August 1971 in Halverstad."),
        page("Lone", "Lone is an island album with 12 tracks of birdsong."),
        page("Listing", "Listing of things. Showing 2 of 2 entries."),
    ]
    run = write_pages(tmp_path / "run", pages)
    with open_index(run) as idx:
        yield idx


def test_rank_of_the_first_result_whose_text_holds_the_answer(index):
    assert shortcut_rank(index, "Where was the record label Alpha founded?", "Dunmoor") == 1
    # the question finds Beta first; the answer is on Gamma's page, also found
    r = shortcut_rank(index, "When was the singer of the glass pop band Beta born?", "8 August 1971")
    assert r is not None and r > 1
    assert shortcut_rank(index, "Where was the record label Alpha founded?", "Ostenfeld") is None


def test_aliases_count_as_the_answer(index):
    assert shortcut_rank(index, "Where was Alpha founded?", "City of Dunmoor", aliases=["Dunmoor"]) == 1


def test_a_count_needs_a_stated_total_not_the_bare_number(index):
    # "12" appears on Lone's page as "12 tracks": the total the question counts
    assert shortcut_rank(index, "How many tracks does the album Lone have?", "12") == 1
    # the bare number elsewhere proves nothing: "1990" is not a count, "8" is in a date
    assert shortcut_rank(index, "How many members did the band founded in 1990 have?", "8") is None
    # 'entries' of an unrelated listing page do not give away a count of something else
    assert shortcut_rank(index, "How many singers does the band Beta have?", "2") is None


def test_count_helpers():
    assert [is_count_answer(a) for a in ("0", "6", "999", "1000", "1965", "06", "six")] == \
        [True, True, True, False, False, False, False]
    assert counted_nouns("How many studio albums did Ray Charles release?") == ["studio", "album"]
    assert states_total("total of 6 entries", "6", [])
    assert states_total("he released six studio albums", "6", ["album"])
    assert not states_total("showing 2 of 2 entries", "2", ["singer"], generic=False)


def _chain(index, **kw):
    counters = Counters()
    rejects = []
    f = ShortcutFilter(index, counters=counters, **kw)
    return FilterChain([f], counters, rejects.append), counters, rejects


def test_filter_tags_every_record_and_drops_answers_in_top3(index):
    easy = record("multi_hop", "Where was the record label Alpha founded?", "Dunmoor", [("Alpha", "Alpha — Location: Dunmoor")])
    hard = record("multi_hop", "Which town hosts the label that signed Beta?", "Ostenfeld", [("Alpha", "x")])
    seed = record("single_hop", "Where was the record label Alpha founded, exactly?", "Dunmoor", [("Alpha", "x")])
    chain, counters, rejects = _chain(index)
    kept = list(chain.run([easy, hard, seed]))
    assert [r.id for r in kept] == [hard.id, seed.id]
    assert hard.shortcut_rank is None and seed.shortcut_rank == 1 and easy.shortcut_rank == 1
    assert [r.reason for r in rejects] == ["shortcut/answer_in_top3"]
    assert rejects[0].stage == "filter" and rejects[0].record_id == easy.id
    assert counters.get("filter/dropped/shortcut/answer_in_top3") == 1


def test_count_reason_and_keep_easy(index):
    q = record("count", "How many tracks does the album Lone have?", "12", [("Lone", "Lone — Tracks: 12")])
    chain, counters, rejects = _chain(index)
    assert list(chain.run([q])) == []
    assert [r.reason for r in rejects] == ["shortcut/total_in_top3"]
    chain, counters, rejects = _chain(index, keep_easy=True)
    q2 = q.model_copy()
    assert [r.id for r in chain.run([q2])] == [q.id] and q2.shortcut_rank == 1
    assert rejects == [] and counters.get("filter/shortcut/easy_kept") == 1


def test_not_built_by_build_filters_but_disabled_by_name(index):
    from filters import FilterConfig, build_filters

    assert all(f.name != "shortcut" for f in build_filters(FilterConfig()))
    build_filters(FilterConfig(disabled=["shortcut", "replay"]))  # stage filters: known names
    assert ShortcutFilter.for_index(FilterConfig(disabled=["shortcut"]), index) is None
    f = ShortcutFilter.for_index(FilterConfig(keep_easy=True), index)
    assert f is not None and f.keep_easy and f.top == 3
    assert url("Alpha").endswith("Alpha.html")
