"""Miner defects of issue 16, each on real corpus pages (trimmed copies in tests/fixtures/html/issue16
from ../shared/corpus: the Ray Charles 2015 Kiwix dump, arXiv, GitHub)."""

from __future__ import annotations

import json
from pathlib import Path

from crawlers.facts import extract_structure
from pipelines.counters import Counters
from schemas.records import Page, Reject
from synth.config import SynthConfig
from synth.mine import build_graph
from synth.miners.base import Graph, MineContext, Node
from synth.miners.count import CountMiner
from synth.miners.intersection import IntersectionMiner
from synth.miners.multi_hop import MultiHopMiner
from synth.miners.single_hop import SingleHopMiner
from synth.writers.template import TemplateWriter
from tests.synth.conftest import make_page

D = Path(__file__).resolve().parents[1] / "fixtures" / "html" / "issue16"
A = "http://127.0.0.1:8765/A/"
ROOT = A + "Ray_Charles.html"


def page(name: str, *, url: str = "", site: str = "wikipedia", root: str = ROOT, depth: int = 1,
         drop: tuple[str, ...] = ()) -> Page:
    url = url or A + name
    s = extract_structure((D / name).read_bytes(), url, site)
    facts = [f for f in s.facts if f.key not in drop]
    return make_page(url, s.subject, facts=facts, enumerations=s.enumerations, site=site, root=root,
                     parent=None if url == root else root, depth=0 if url == root else depth)


def mine(miner, pages: list[Page], **cfg):
    rejects: list[Reject] = []
    counters = Counters()
    ctx = MineContext(SynthConfig(**cfg), counters, rejects.append)
    return list(miner.mine(Graph(Node.from_page(p) for p in pages), ctx)), rejects, counters


def question(c) -> str:
    w = TemplateWriter().write_one(c)
    assert w.ok, (w.reject_reason, w.detail, w.raw)
    return w.question


def test_a_chronology_step_names_the_artist_whose_chronology_it_is() -> None:
    # "Soul Brothers" is by Ray Charles and Milt Jackson; its infobox walks "Ray Charles chronology":
    # the question must not say "the album that Ray Charles and Milt Jackson released just after"
    cands, _, _ = mine(SingleHopMiner(), [page("Soul_Brothers.html")], max_facts_per_page=20)
    nxt = next(c for c in cands if c.relation == "Next album")
    assert nxt.answer == "What'd I Say"
    assert question(nxt) == ("Which album did Ray Charles release just after the studio album “Soul Brothers” "
                             "by Ray Charles and Milt Jackson?")


def test_a_co_credited_record_without_a_chronology_header_is_not_asked_its_neighbours() -> None:
    p = page("Soul_Brothers.html", drop=("Chronology",))
    cands, rejects, counters = mine(SingleHopMiner(), [p], max_facts_per_page=20)
    assert not {"Previous album", "Next album"} & {c.relation for c in cands}
    assert {json.loads(r.payload_json)["key"] for r in rejects if r.reason == "chronology_owner_unknown"} == {
        "Previous album", "Next album"}
    assert counters.get("mine/dropped/chronology_owner_unknown") == 2


def test_a_track_is_not_described_by_its_single_release() -> None:
    # "Georgia on My Mind" is the second track of "The Genius Hits the Road"; its page is the single's:
    # the single's release date, running time, label and B-side are not the album track's
    album = page("The_Genius_Hits_the_Road.html", url=ROOT.replace("Ray_Charles", "The_Genius_Hits_the_Road"),
                 root=A + "The_Genius_Hits_the_Road.html")
    single = page("Georgia_on_My_Mind.html", root=album.url, depth=1)
    single = single.model_copy(update={"parent_url": album.url})
    cands, rejects, _ = mine(MultiHopMiner(), [album, single], max_paths_per_start=50)
    assert not [c for c in cands if c.source_urls[-1] == single.url and c.slots_json.count('"via": "item"')]
    assert ("no_askable_fact", single.url) in {(r.reason, r.url) for r in rejects}


def test_a_track_entry_linking_to_an_album_page_is_no_hop() -> None:
    album = page("The_Genius_Hits_the_Road.html", root=A + "The_Genius_Hits_the_Road.html")
    # the second track's link leads to a page whose infobox says it is an album
    wrong = page("Soul_Brothers.html", url=A + "Georgia_on_My_Mind.html", root=album.url)
    cands, rejects, counters = mine(MultiHopMiner(), [album, wrong], max_paths_per_start=50)
    assert not [c for c in cands if c.source_urls == [album.url, wrong.url]]
    assert any(r.reason == "item_type_mismatch" and r.url == wrong.url for r in rejects)
    assert counters.get("mine/dropped/item_type_mismatch") >= 1


def test_no_hop_to_an_entity_the_question_names() -> None:
    # "the artist credited on the studio album “Soul Brothers” by Ray Charles and Milt Jackson" is a
    # hop to Ray Charles, whom the question names already
    root = page("Ray_Charles.html", url=ROOT)
    album = page("Soul_Brothers.html")
    cands, rejects, _ = mine(MultiHopMiner(), [root, album], max_paths_per_start=50)
    assert not [c for c in cands if c.source_urls == [album.url, ROOT]]
    # the "Artist" row names two ("Ray Charles and Milt Jackson"): since the final audit of issue 16 that
    # row is no hop at all (multi_valued_hop), before bridge_named is reached
    assert {("bridge_named", ROOT), ("multi_valued_hop", album.url)} & {(r.reason, r.url) for r in rejects}


def test_a_range_is_answered_whole() -> None:
    cands, _, _ = mine(SingleHopMiner(), [page("The_Genius_Sings_the_Blues.html")], max_facts_per_page=20)
    assert {c.relation: c.answer for c in cands}["Recorded"] == "1952–1960"


def test_a_writer_with_a_suffix_is_counted_once() -> None:
    cands, _, _ = mine(CountMiner(), [page("Unchain_My_Heart_(song).html")])
    writers = next(c for c in cands if c.relation == "Writer(s)")
    assert writers.answer == "2"
    assert json.loads(writers.slots_json)["items"] == ["Robert Sharp, Jr.", "Teddy Powell"]


def test_an_issue_state_is_the_issues_and_volatile() -> None:
    url = "https://github.com/kepano/defuddle/issues/56"
    p = page("github_defuddle_issue_56.html", url=url, site="github", root=url)
    assert p.subject == "kepano/defuddle issue #56"
    cands, rejects, _ = mine(SingleHopMiner(), [p])
    assert not [c for c in cands if c.relation == "State"]
    assert [json.loads(r.payload_json)["key"] for r in rejects if r.reason == "volatile"] == ["State"]


def test_repository_counters_are_volatile() -> None:
    url = "https://github.com/adbar/htmldate"
    p = page("github_adbar_htmldate.html", url=url, site="github", root=url)
    cands, rejects, _ = mine(SingleHopMiner(), [p], max_facts_per_page=20)
    assert {c.relation: c.answer for c in cands} == {"License": "GPL-3.0", "Primary language": "Python"}
    assert {json.loads(r.payload_json)["key"] for r in rejects if r.reason == "volatile"} == {
        "Stars", "Forks", "Watchers", "Commits", "Branches", "Releases", "Contributors", "Open issues",
        "Open pull requests"}
    count, crej, _ = mine(CountMiner(), [p])
    assert "topics" not in {c.relation for c in count}
    assert "topics" in {json.loads(r.payload_json)["label"] for r in crej if r.reason == "volatile"}


def test_no_first_author_question_for_a_single_author_paper() -> None:
    url = "https://arxiv.org/abs/0704.0003"
    cands, _, _ = mine(SingleHopMiner(), [page("arxiv_abs_0704.0003.html", url=url, site="arxiv", root=url)],
                       max_facts_per_page=20)
    assert "First author" not in {c.relation for c in cands}
    assert "Submitted" in {c.relation for c in cands}


def test_nickname_and_plain_name_are_one_person_in_an_intersection() -> None:
    # "David "Fathead" Newman – tenor saxophone" (Live in Concert) and "David Newman – tenor saxophone"
    # (Ray Charles at Newport) are the same man
    a = page("Live_in_Concert_(Ray_Charles_album).html")
    b = page("Ray_Charles_at_Newport.html")
    cands, _, _ = mine(IntersectionMiner(), [a, b])
    c = next(c for c in cands if c.relation == "Personnel")
    slots = json.loads(c.slots_json)
    assert 'David "Fathead" Newman' in slots["shared"]
    assert "Ray Charles" in slots["excluded"]


def test_the_root_entity_is_never_an_intersection_answer() -> None:
    # Quincy Jones's and David "Fathead" Newman's associated acts share only Ray Charles, the root
    root = page("Ray_Charles.html", url=ROOT)
    cands, rejects, counters = mine(IntersectionMiner(), [root, page("Quincy_Jones.html"),
                                                          page("David_Fathead_Newman.html")])
    assert not [c for c in cands if "Ray Charles" in c.answer]
    assert any(r.reason == "answer_is_root" for r in rejects)
    assert counters.get("mine/dropped/answer_is_root") >= 1


def test_one_text_under_two_urls_is_mined_once() -> None:
    url = "https://arxiv.org/abs/0704.0003"
    first = page("arxiv_abs_0704.0003.html", url=url, site="arxiv", root=url)
    first = first.model_copy(update={"text": "The evolution of the Earth-Moon system based on the dark matter field"})
    variant = first.model_copy(update={"url": url + "?context=physics", "final_url": url + "?context=physics"})
    rejects: list[Reject] = []
    counters = Counters()
    graph = build_graph([first, variant], MineContext(SynthConfig(), counters, rejects.append))
    assert len(graph) == 1 and graph.get(variant.url).url == url
    assert [(r.reason, r.url) for r in rejects] == [("duplicate_text", variant.url)]
    assert counters.get("mine/dropped/duplicate_text") == 1


def test_a_people_count_is_not_a_count_of_lines_naming_two() -> None:
    # "Joseph Bridgewater & John Hunt - trumpet", "Oscar Pettiford or Roosevelt Sheffield - bass"
    cands, rejects, _ = mine(CountMiner(), [page("The_Genius_After_Hours.html")])
    assert "Personnel" not in {c.relation for c in cands}
    assert [r.detail for r in rejects if r.reason == "several_per_item"] == [
        "Joseph Bridgewater & John Hunt - trumpet"]


def test_a_track_is_not_a_step_in_its_singles_chronology() -> None:
    # track 7 of the 2006 "Ray Sings, Basie Swings" is "I Can't Stop Loving You": "the single Ray
    # Charles released just before the seventh track" would date the 1962 single's predecessor
    album = page("Ray_Sings,_Basie_Swings.html", root=A + "Ray_Sings,_Basie_Swings.html")
    single = page("I_Can't_Stop_Loving_You.html", root=album.url).model_copy(update={"parent_url": album.url})
    prev = make_page(A + "Hit_the_Road_Jack.html", "Hit the Road Jack", root=album.url, parent=single.url, depth=2,
                     facts=[extract_structure((D / "Georgia_on_My_Mind.html").read_bytes(), A + "x", "wikipedia")
                            .facts[3].model_copy(update={"value": "1961"})])
    assert prev.facts[0].key == "Released"
    cands, _, _ = mine(MultiHopMiner(), [album, single, prev], max_paths_per_start=50)
    assert not [c for c in cands if c.source_urls == [album.url, single.url, prev.url]]
    # from the single itself the step is right: "the single Ray Charles released just before “I Can't Stop …”"
    assert [c for c in cands if c.source_urls == [single.url, prev.url]]


def test_an_alias_matched_intersection_passes_the_recount() -> None:
    # the recount filter compares the miner's entity keys and finds each side's own wording in its evidence
    from datetime import UTC, datetime

    from filters.grounding import IntersectionRecount
    from synth.assemble import to_record

    a = page("Live_in_Concert_(Ray_Charles_album).html")
    b = page("Ray_Charles_at_Newport.html")
    cands, _, _ = mine(IntersectionMiner(), [a, b])
    c = next(c for c in cands if c.relation == "Personnel")
    w = TemplateWriter().write_one(c)
    rec = to_record(w, writer_name="template", prompt_version="t", run_id="r", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    meta = json.loads(rec.meta_json)
    assert "david newman" in meta["a"]["keys"] and "david newman" in meta["b"]["keys"]
    verdict = IntersectionRecount().check(rec)
    assert verdict.keep, (verdict.reason, verdict.detail)
    # without the keys the two spellings are two people and the claim does not recount
    for side in ("a", "b"):
        meta[side].pop("keys")
    bare = rec.model_copy(update={"meta_json": json.dumps(meta)})
    assert IntersectionRecount().check(bare).reason == "shared_mismatch"


def test_papers_of_a_rolling_listing_are_no_hop_and_no_count() -> None:
    # /list/math/recent shows other papers next week: "the first paper listed under “Thu, 3 Feb 2011”
    # on the listing" does not hold on the live site
    url = "https://arxiv.org/list/math/recent"
    listing = page("arxiv_list_math_recent.html", url=url, site="arxiv", root=url)
    paper = page("arxiv_abs_0704.0003.html", url=listing.enumerations[0].item_links[0], site="arxiv", root=url)
    paper = paper.model_copy(update={"parent_url": url})
    cands, rejects, _ = mine(MultiHopMiner(), [listing, paper], max_paths_per_start=50)
    assert not [c for c in cands if c.source_urls[0] == url]
    assert any(r.reason == "volatile" and r.url == url for r in rejects)
    counts, crej, _ = mine(CountMiner(), [listing])
    assert counts == [] and {r.reason for r in crej} == {"volatile"}


def test_r_and_b_and_rhythm_and_blues_are_one_genre() -> None:
    # "Genius Loves Company" lists "Rhythm and blues", the Ray Charles article "R&B": shared, and the
    # answer is not missing it
    cands, _, _ = mine(IntersectionMiner(), [page("Genius_Loves_Company.html"), page("Ray_Charles.html", url=ROOT)],
                       max_shared=10)
    c = next(c for c in cands if json.loads(c.slots_json)["group"] == "genre")
    shared = json.loads(c.slots_json)["shared"]
    assert "Rhythm and blues" in shared and {"soul", "country", "blues", "jazz", "pop"} <= set(shared)


def test_a_tracks_genre_is_not_asked_from_the_songs_page() -> None:
    # a track is one recording; the song page's genre is another's ("The Long and Winding Road" as a
    # Beatles pop single): only who wrote it passes from the song to the track
    from schemas.records import Fact
    from synth.miners.multi_hop import SONG_KEYS

    assert "genre" not in SONG_KEYS and "writer(s)" in SONG_KEYS
    album = page("Ray_Sings,_Basie_Swings.html", root=A + "Ray_Sings,_Basie_Swings.html")
    single = page("I_Can't_Stop_Loving_You.html", root=album.url)
    facts = [f for f in single.facts if f.key == "Type"] + [Fact(key="Genre", value="Country soul"),
                                                             Fact(key="Writer", value="Don Gibson")]
    single = single.model_copy(update={"parent_url": album.url, "enumerations": [], "facts": facts})
    cands, rejects, _ = mine(MultiHopMiner(), [album, single], max_paths_per_start=50)
    got = {c.relation: c.answer for c in cands if c.source_urls == [album.url, single.url]}
    # the writer is shown on the path already ('"I Can't Stop Loving You" (Don Gibson) – 4:02'), the
    # genre is not the track's: nothing to ask
    assert got == {}
    assert ("answer_on_path", single.url) in {(r.reason, r.url) for r in rejects}


def test_a_chronology_step_two_pages_disagree_on_is_not_asked() -> None:
    # Soul Meeting's page: previous album The Genius Sings the Blues; Do the Twist!'s page: Soul
    # Meeting came just after it; The Genius Sings the Blues's page: Soul Meeting came after it
    root = A + "Do_the_Twist!_with_Ray_Charles.html"
    pages = [page("Soul_Meeting.html", root=root), page("Do_the_Twist!_with_Ray_Charles.html", root=root),
             page("The_Genius_Sings_the_Blues.html", root=root)]
    single, rejects, _ = mine(SingleHopMiner(), pages, max_facts_per_page=20)
    assert ("Soul Meeting", "Previous album") not in {(c.subject, c.relation) for c in single}
    assert ("chronology_conflict", A + "Soul_Meeting.html") in {(r.reason, r.url) for r in rejects}
    hops, mrej, _ = mine(MultiHopMiner(), pages, max_paths_per_start=50)
    assert not [c for c in hops if c.source_urls[:2] == [A + "Soul_Meeting.html", A + "The_Genius_Sings_the_Blues.html"]]
    assert any(r.reason == "chronology_conflict" for r in mrej)


def test_a_chain_does_not_cross_to_another_artists_record() -> None:
    # What'd I Say's "Previous single: Night Time Is the Right Time" links a page whose infobox is
    # Nappy Brown's 1957 single: "the single Ray Charles released just before …" is not that page
    root = A + "What'd_I_Say.html"
    pages = [page("What'd_I_Say.html", root=root), page("Night_Time_Is_the_Right_Time.html", root=root)]
    hops, rejects, _ = mine(MultiHopMiner(), pages, max_paths_per_start=50)
    assert not [c for c in hops if A + "Night_Time_Is_the_Right_Time.html" in c.source_urls[1:]]
    assert ("chronology_owner_mismatch", A + "Night_Time_Is_the_Right_Time.html") in {(r.reason, r.url) for r in rejects}


def test_a_charts_table_counts_charts() -> None:
    # "Charts › Albums" of Modern Sounds in Country and Western Music lists the two charts the album
    # entered ("U.S. Pop Albums chart", "UK Albums Chart"), not two albums
    p = page("Modern_Sounds_in_Country_and_Western_Music.html")
    cands, _, _ = mine(CountMiner(), [p])
    by = {json.loads(c.slots_json)["section"]: c for c in cands}
    assert question(by["Charts › Albums"]).startswith("How many charts does the table")
    assert json.loads(by["Charts › Singles"].slots_json)["noun"] == "singles"  # that one lists singles


def test_chart_tables_are_intersected_as_charts() -> None:
    # the Lynn Anderson "Chart positions" of Cry and the "Chart positions" of Let's Go Get Stoned list
    # charts; a chart table is compared with chart tables only, and asked as such
    a = page("Cry_(Churchill_Kohlman_song).html")
    b = page("Let's_Go_Get_Stoned_(R&B_song).html")
    albums = page("Modern_Sounds_in_Country_and_Western_Music.html")  # "Charts › Albums": charts too
    cands, _, _ = mine(IntersectionMiner(), [a, b, albums])
    c = next(c for c in cands if {a.url, b.url} == set(c.source_urls))
    assert c.answer == "U.S. Billboard Hot 100"
    assert question(c) == ("Which chart is named in the chart tables of both the Wikipedia articles "
                           "“Cry (Churchill Kohlman song)” and “Let's Go Get Stoned (R&B song)”?")
    assert json.loads(c.slots_json)["group"] == "chart"
