"""MULTI-HOP: a fact on page B reached from a named page A0 through 1–3 links, each identified by
where it sits on the page before it (an infobox row such as "Next album", or the n-th entry of a
list/table under a heading), never by the linked page's own name.

"When was the album that came after “The Genius of Ray Charles” in Ray Charles's chronology
released?" needs A0 (to find the link) and B (for the date). ``hops`` = pages the question needs
(A0 … B); ``golden_path`` = the click path root → … → A0 → … → B.

Drops: ``target_named`` (B's name is in the start page's name or a heading of the path),
``bridge_named`` (a hop reaches an entity the question names: "the artist credited on the album X by
Ray Charles"), ``answer_on_path`` (the answer already shows on a page before B), ``answer_is_root``
(the only answers name the crawl's root entity), ``no_askable_fact``, ``item_type_mismatch`` (a
track-list entry that links to a page that is not a song), ``chronology_owner_unknown`` (previous/next
of a record by several artists, no "<artist> chronology" header), ``chronology_conflict`` (another page
places another record there), ``chronology_owner_mismatch`` (the linked page is another artist's
record of that title), ``multi_valued_hop`` (an infobox row that names several entities, one linked:
"the entry that Come Back Baby links under Recorded by" of eleven artists), ``volatile`` (a link row or list
the live site changes), ``path_cap`` (more chains than the per-start / per-target caps keep),
``credit_conflict`` (the list credits the entry's writers, on its row or in a blanket note "All songs
written by Ray Charles except as indicated", and the song's page names others; or the song's page
itself names two: "written by Paul McCartney (credited to Lennon–McCartney)").
A song reached as an entry of a list of recordings (a track list, a soundtrack, a list of singles, any
list entry that links a song's or a single's page) or as a single's B-side stands for that recording:
only what the song is (who wrote it) is asked or followed, never an attribute of one release of it
(the linked page's length, date, label, B-side, genre, producer may be another recording's).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import ClassVar

from schemas.records import Candidate, Evidence, Fact
from synth.miners.base import (
    Graph,
    MineContext,
    Node,
    enum_ambiguous,
    lang,
    make_candidate,
    mentions,
    root_answer,
)
from synth.miners.count import _GROUP_KEYS, _PEOPLE, incomplete_reason
from synth.miners.single_hop import (
    CHRONO_KEY,
    PRIORITY,
    askable,
    chronology_owner,
    entity_slots,
    fact_evidence,
    fact_priority,
)
from synth.text import (
    DATE_RE,
    chart_items,
    clean,
    contains,
    enum_noun,
    item_key,
    norm,
    person_like,
    singular,
)
from synth.volatile import volatile_enumeration, volatile_fact

_NO_EDGE_KINDS = {"versions", "languages", "subjects"}
# a film's "Soundtrack" lists songs (not "Soundtracks", a discography's soundtrack albums)
_TRACK_LIST = re.compile(r"\btrack|\bsongs?\b|\bsoundtrack\b|\bside (?:one|two|three|four|[a-d1-4])\b|\bdisc (?:one|two|[1-4])\b", re.I)
_VERSIONS_LIST = re.compile(r"\b(covers?|cover versions?|other versions?|versions|recordings?( of)?|renditions?|"
                            r"covered by|recorded by)\b", re.I)
# what separates the names of a row naming several ("A, B and C"; not "Robert Sharp, Jr.")
_ROW_SPLIT = re.compile(r",(?!\s*(?:jr|sr|ii|iii|iv)\b)|;|\s&\s|\s(?:and|with)\s|\s/\s", re.I)
# rows of a place, where a comma goes from a place to the place it is in ("Ostenfeld, Norvania")
_PLACE_KEY = re.compile(r"^(born|birth ?place|place of birth|died|death ?place|place of death|origin|location|"
                        r"headquarters|hometown|residence|recorded|venue|studio)$", re.I)
_MONTH = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?", re.I)
_PLACE_SPLIT = re.compile(r";|\s&\s|\s(?:and|with)\s|\s/\s", re.I)
_NO_EDGE_KEYS = {"website", "cite as", "related doi", "chronology"}
# what a track list's entry is, and the facts of a song page that are the track's own: who wrote it
# (the single's date, length, label, B-side belong to one release of the song, and its genre to one
# recording: a Ray Charles cover of "The Long and Winding Road" is not the Beatles' pop single)
_ITEM_TYPES = {"track": ("single", "song"), "song": ("single", "song"), "single": ("single", "song"),
               "album": ("album",)}
SONG_KEYS = {"writer(s)", "writer", "writers", "songwriter(s)", "songwriter", "songwriters", "composer(s)",
             "composer", "composers", "lyricist(s)", "lyricist", "written by", "music by", "lyrics by"}


def item_type(enum) -> tuple[str, ...]:
    """The infobox kinds an entry of this list must link to ("tracks" → a single or song page);
    () when the list says nothing of what its entries are."""
    noun = enum_noun(enum.label, enum.section)
    last = singular(noun).split()[-1:] if noun else []
    found = _ITEM_TYPES.get(last[0], ()) if last else ()
    if not found and _TRACK_LIST.search(f"{enum.label} {enum.section}"):
        found = _ITEM_TYPES["track"]  # "LP side A" under "Original LP track listing", "Disc one"
    return found


def song_hop(edge: Edge) -> bool:
    """Whether ``edge`` reaches a song as one recording of it (an entry of a list of recordings, a
    single's B-side): the song's page then stands for the work, and only what the song is (its
    writers) may be asked or followed, never one release's date, length, label, B-side, genre."""
    return edge.recording


# a single's "B-side" / "A-side" row: a song, recorded on that single
_SIDE_KEY = re.compile(r"^(?:[ab][- ]?sides?|flip ?side)$", re.I)
# what a row's parentheses hold that is no credit: '"Busted" (Live) (Howard)'
_NOT_CREDIT = re.compile(r"\b(live|instrumental|version|mono|stereo|remix|mix|edit|reprise|medley|demo|take|"
                         r"part|parts|single|bonus|alternate|unreleased|traditional|vocal|vocals|feat|featuring|"
                         r"with|from|theme|intro|outro)\b|\d", re.I)
# "A, B and C", "Charles/Richard", "Lennon–McCartney" (a partnership's two names)
_CREDIT_SPLIT = re.compile(r",(?!\s*(?:jr|sr|ii|iii|iv)\b)|;|/|\s&\s|\s(?:and|with)\s|(?<=[a-z])[–-](?=[A-Z])", re.I)
_AKA = re.compile(r"^.*\s(?:a\.?k\.?a\.?|alias)\s+", re.I)  # "Nugetre aka Ertegün" → "Ertegün"
_ROW_TITLE = re.compile(r'^\s*["“](?P<title>[^"”]+)["”](?P<rest>.*)$')
# "All songs written by Ray Charles except as indicated." → "Ray Charles"
_BLANKET = re.compile(r"^all\s+(?:songs|tracks|compositions|selections|titles|music|pieces)\b[^.;]{0,40}?\bby\s+"
                      r"(?P<who>[^.;,()]+?)\s*(?:[.;,(]|\bexcept\b|\bunless\b|$)", re.I)


def _names(text: str) -> list[str]:
    parts = [_AKA.sub("", p.strip(" .")) for p in _CREDIT_SPLIT.split(text) if p.strip(" .")]
    # "Felice and Boudleaux Bryant": the first name shares the second's surname
    return [p + " " + parts[i + 1].split()[-1] if len(p.split()) == 1 and i + 1 < len(parts)
            and len(parts[i + 1].split()) > 1 else p for i, p in enumerate(parts)]


def row_credit(item: str) -> list[str]:
    """The writers a list row credits in parentheses after its quoted title ('"Drown in My Own
    Tears" (Henry Glover) – 3:21' → ["Henry Glover"]); [] when the row credits no one."""
    m = _ROW_TITLE.match(clean(item))
    if not m:
        return []
    for group in re.findall(r"\(([^()]+)\)", m["rest"]):
        names = _names(group)
        if names and not _NOT_CREDIT.search(group) and all(person_like(n) for n in names):
            return names
    return []


def blanket_credit(note: str | None) -> list[str]:
    """Who a list's blanket note credits ("All songs written by Ray Charles except as indicated" →
    ["Ray Charles"]); [] for no note or a note read otherwise."""
    m = _BLANKET.match(clean(note or ""))
    if not m:
        return []
    names = _names(m["who"])
    return names if names and all(person_like(n) for n in names) else []


def same_credit(listed: list[str], value: str) -> bool:
    """Whether the writers a list credits are the ones a page's writer row names (a surname alone
    matches the full name: "Howard" is "Harlan Howard")."""
    page = _names(re.sub(r"\[[^\]]*\]|\([^()]*\)", "", clean(value)))
    if not listed or not page:
        return True

    def key(n: str) -> tuple[str, str]:
        k = item_key(n)
        return k, (k.split() or [""])[-1]

    a, b = [key(n) for n in listed], [key(n) for n in page]

    def covered(xs: list[tuple[str, str]], ys: list[tuple[str, str]]) -> bool:
        return all(any(x[0] == y[0] or (x[1] == y[1] and (x[0] == x[1] or y[0] == y[1])) for y in ys) for x in xs)

    return covered(a, b) and covered(b, a)


@dataclass(frozen=True)
class Edge:
    """A link of page ``src`` that the page's structure identifies without naming the target."""

    src: str
    dst: str
    via: str  # "fact" | "item"
    anchor: str  # fact value or item text, as shown on src
    key: str = ""  # fact key
    label: str = ""  # enumeration label
    section: str = ""
    kind: str = ""  # enumeration kind
    position: int = 0  # 1-based position of the item
    recording: bool = False  # the target stands for one recording of a song (see song_hop)
    credit: tuple[str, ...] = ()  # the writers the list credits the entry to (its row, else its note)

    def slots(self, graph: Graph) -> dict:
        src = graph.nodes[self.src]
        out = {"from": self.src, "to": self.dst, "via": self.via, "anchor": self.anchor,
               "from_entity": entity_slots(src)}
        if self.via == "fact":
            out["key"] = self.key
        else:
            out.update(label=self.label, section=self.section, kind=self.kind, position=self.position,
                       noun=enum_noun(self.label, self.section))
        return out

    def evidence(self, graph: Graph) -> Evidence:
        src = graph.nodes[self.src]
        if self.via == "fact":
            return Evidence(url=self.src, text=f"{src.name} — {self.key}: {self.anchor}")
        where = self.section or self.label
        return Evidence(url=self.src, text=f"{src.name} — {where}, entry {self.position}: {self.anchor}")


class MultiHopMiner:
    name: ClassVar[str] = "multi_hop"

    def mine(self, graph: Graph, ctx: MineContext) -> Iterator[Candidate]:
        cfg = ctx.cfg
        edges_of: dict[str, list[Edge]] = {}

        def edges(url: str) -> list[Edge]:
            if url not in edges_of:
                edges_of[url] = self._edges(graph, graph.nodes[url], ctx)
            return edges_of[url]

        self._contested = self._contested_writers(graph, edges)
        per_target: dict[tuple[str, int], int] = defaultdict(int)
        beam = cfg.max_paths_per_start * 4
        for start in graph:
            if not start.name or not graph.path_to(start.url):
                continue
            chains: list[list[Edge]] = []
            frontier: list[list[Edge]] = [[]]
            for _ in range(cfg.max_hops - 1):
                nxt: list[list[Edge]] = []
                for chain in frontier:
                    here = chain[-1].dst if chain else start.url
                    seen = {start.url, *(e.dst for e in chain)}
                    items = sum(1 for e in chain if e.via == "item")
                    # from a song reached as a track, only the song's own relations (its writers)
                    song = bool(chain) and song_hop(chain[-1])
                    nxt.extend([*chain, e] for e in edges(here)
                               if e.dst not in seen and (e.via != "item" or items < cfg.max_item_hops)
                               and not (song and (e.via != "fact" or e.key.lower() not in SONG_KEYS)))
                nxt.sort(key=lambda c: ctx.rank("chain", [(e.src, e.dst, e.position, e.key) for e in c]))
                frontier = nxt[:beam]
                chains.extend(c for c in frontier if len(c) + 1 >= cfg.min_hops)
            kept = 0
            # longer chains first: they are the scarce, hard ones
            chains.sort(key=lambda c: (-len(c), sum(e.via == "item" for e in c),
                                       ctx.rank("pick", [(e.src, e.dst, e.position, e.key) for e in c])))
            for chain in chains:
                target = graph.nodes[chain[-1].dst]
                tkey = (target.url, len(chain))
                cid = (start.url, [(e.src, e.dst, e.position, e.key) for e in chain])
                if kept >= cfg.max_paths_per_start or per_target[tkey] >= cfg.max_paths_per_target:
                    ctx.reject("path_cap", cid, url=target.url)
                    continue
                cand = self._candidate(graph, start, chain, ctx)
                if cand is not None:
                    kept += 1
                    per_target[tkey] += 1
                    yield cand

    _contested: ClassVar[dict[str, str]] = {}

    @staticmethod
    def _contested_writers(graph: Graph, edges) -> dict[str, str]:
        """Song pages whose writers some list of the crawl credits otherwise (Ray Charles (album):
        "All songs written by Ray Charles except as indicated" and no credit on "Come Back Baby";
        Come_Back_Baby: "Writer: Walter Davis"), by URL, with what the list says: the song's writer,
        asked of any recording of it, has two answers."""
        out: dict[str, str] = {}
        for node in graph:
            for e in edges(node.url):
                dst = graph.nodes.get(e.dst)
                if not e.credit or dst is None or e.dst in out:
                    continue
                for f in dst.facts:
                    if f.key.lower() in SONG_KEYS and not same_credit(list(e.credit), f.value):
                        out[e.dst] = f"{node.name!r} credits {', '.join(e.credit)}; {f.key}: {f.value}"
                        break
        return out

    # ------------------------------------------------------------------------------------------
    def _edges(self, graph: Graph, node: Node, ctx: MineContext) -> list[Edge]:
        out: list[Edge] = []
        multi = {e.label for e in node.enumerations if e.kind == "infobox"}
        for fact in node.facts:
            if fact.key in multi or len(fact.links) != 1 or fact.key.lower() in _NO_EDGE_KEYS:
                continue
            if sum(1 for f in node.facts if f.key == fact.key) > 1:
                continue
            dst = graph.get(fact.links[0])
            if dst is None or dst.url == node.url or not graph.links(node, dst):
                continue
            # the names a row gives (a date or a number beside a place is not a second name:
            # "Born: 19 November 1969, Ostenfeld")
            split = _PLACE_SPLIT if _PLACE_KEY.search(fact.key) else _ROW_SPLIT  # "Ostenfeld, Norvania": one place
            names = [p for p in split.split(clean(fact.value))
                     if item_key(p) and re.search(r"[^\W\d_]{2}", _MONTH.sub("", DATE_RE.sub("", re.sub(r"\([^()]*\)", "", p))))]
            if len(names) > 1 and item_key(fact.value) not in graph.names_of(dst):
                # "the entry that Come Back Baby links under Recorded by": the row names eleven artists,
                # one linked; a reader of the row cannot tell which one the question means
                ctx.reject("multi_valued_hop", ("edge", node.url, fact.key), url=node.url,
                           detail=f"{fact.key}: {fact.value}"[:300])
                continue
            if volatile_fact(fact):
                ctx.reject("volatile", ("edge", node.url, fact.key), url=node.url,
                           detail=f"{fact.key}: {fact.value}"[:300])
                continue
            if CHRONO_KEY.match(fact.key) and node.fact("Type") is not None and not chronology_owner(node):
                # "the album that Ray Charles and Milt Jackson released just before …": whose chronology?
                ctx.reject("chronology_owner_unknown", ("edge", node.url, fact.key), url=node.url,
                           detail=f"{fact.key} of {node.name!r}")
                continue
            if CHRONO_KEY.match(fact.key):
                conflict = graph.chronology_conflict(node, fact.key, dst)
                if conflict:  # two pages, two answers
                    ctx.reject("chronology_conflict", ("edge", node.url, fact.key), url=node.url, detail=conflict)
                    continue
                mine_, theirs = chronology_owner(node), chronology_owner(dst)
                if mine_ and theirs and item_key(mine_) != item_key(theirs):
                    # What'd I Say's previous single links a page whose infobox is Nappy Brown's version
                    ctx.reject("chronology_owner_mismatch", ("edge", node.url, fact.key), url=dst.url,
                               detail=f"{node.name!r} walks {mine_!r}, {dst.name!r} is {theirs!r}'s")
                    continue
            out.append(Edge(node.url, dst.url, "fact", clean(fact.value), key=fact.key,
                            recording=bool(_SIDE_KEY.match(fact.key.strip()))))
        for enum in node.enumerations:
            if enum.kind in _NO_EDGE_KINDS or enum_ambiguous(node, enum):
                continue
            if enum.incomplete and not enum.incomplete.startswith("section_has_more_text"):
                # a row the parser could not read shifts every position after it; "the table of the
                # “Charts” section" is not one table when the section holds two
                ctx.reject(incomplete_reason(enum), ("enum", node.url, enum.kind, enum.label, enum.section),
                           url=node.url, detail=enum.incomplete[:200])
                continue
            if enum.kind == "navbox":
                continue  # navigation boxes repeat on every page of a topic: not a page's own content
            if chart_items(enum.items):
                continue  # "Charts › Albums": its entries are charts, not what the label says
            if _VERSIONS_LIST.search(f"{enum.label} {enum.section}"):
                # a "Cover versions" entry links its artist: "the article on the second cover version"
                # would be a biography, not a version
                ctx.reject("item_type_mismatch", ("enum", node.url, enum.label, enum.section), url=node.url,
                           detail=f"{enum.label!r}: an entry is a recording, its link is its artist")
                continue
            if volatile_enumeration(enum, node.url):
                # "the first paper listed under “New submissions”" is another paper tomorrow
                ctx.reject("volatile", ("enum", node.url, enum.kind, enum.label, enum.section), url=node.url,
                           detail=f"{enum.kind} {enum.label!r} changes on the live site")
                continue
            people = bool(_PEOPLE.search(enum_noun(enum.label, enum.section)))
            for i, (item, link) in enumerate(zip(enum.items, enum.item_links, strict=False)):
                if i >= ctx.cfg.max_ordinal:
                    break
                dst = graph.get(link) if link else None
                if dst is None or dst.url == node.url or not graph.links(node, dst):
                    continue
                if people and (not person_like(item) or any(dst.fact(k) is not None for k in _GROUP_KEYS)):
                    # "the ninth credited person listed in “Personnel”": "The Raeletts – vocal group"
                    ctx.reject("item_type_mismatch", ("edge", node.url, enum.label, enum.section, i), url=dst.url,
                               detail=f"{enum_noun(enum.label, enum.section)!r} entry {i + 1} is not one person: "
                                      f"{clean(item)[:120]!r}")
                    continue
                want = item_type(enum)
                kind = entity_slots(dst)["kind"].split()[-1:]
                # a track must link to a song's page; an album entry to a page that is no other kind
                if want and kind not in ([w] for w in want) and (kind or want != ("album",)):
                    # "the fourth track" that links to an album page (or a page with no infobox
                    # type): the page is not the track, its facts are not the track's
                    ctx.reject("item_type_mismatch", ("edge", node.url, enum.label, enum.section, i), url=dst.url,
                               detail=f"{enum_noun(enum.label, enum.section)!r} entry {i + 1} links to "
                                      f"{entity_slots(dst)['kind'] or 'an untyped page'} {dst.name!r}")
                    continue
                # an entry that links a song's or a single's page is a recording of it, whatever the
                # list's heading ("Soundtrack", "Release", "Selected works"), unless the page is the
                # list owner's own single (Ray Charles's "Discography": "I Got a Woman" (1954) links
                # the page of that very single, "Single by Ray Charles")
                by = entity_slots(dst)
                own_single = (kind == ["single"] and by["artists"] == 1 and bool(by["by"])
                              and (contains(node.name, by["by"]) or item_key(by["by"]) in graph.names_of(node)))
                recording = "song" in want or (bool(kind and kind[0] in ("song", "single")) and not own_single)
                credit = tuple(row_credit(item) or blanket_credit(enum.note)) if recording else ()
                out.append(Edge(node.url, dst.url, "item", clean(item), label=enum.label,
                                section=enum.section, kind=enum.kind, position=i + 1,
                                recording=recording, credit=credit))
        # one edge per (target, description kind) is enough
        uniq: dict[tuple, Edge] = {}
        for e in out:
            uniq.setdefault((e.dst, e.via, e.key, e.label, e.section), e)
        return sorted(uniq.values(), key=lambda e: ctx.rank("edge", e.src, e.dst, e.position, e.key))

    def _candidate(self, graph: Graph, start: Node, chain: list[Edge], ctx: MineContext) -> Candidate | None:
        target = graph.nodes[chain[-1].dst]
        cid = (start.url, [(e.src, e.dst, e.position, e.key) for e in chain])
        headings = " ".join(f"{e.label} {e.section} {e.key}" for e in chain)
        if contains(start.name, target.name) or contains(headings, target.name):
            ctx.reject("target_named", cid, url=target.url, detail=f"{target.name!r} named on the path")
            return None
        # what the question says: the start's name and credits, the owners of the chronologies walked
        start_slots = entity_slots(start)
        named = [start.name, start_slots["by"],
                 *(entity_slots(graph.nodes[e.src])["chronology"] for e in chain if CHRONO_KEY.match(e.key))]
        for e in chain:
            hit = mentions(named, graph.names_of(graph.nodes[e.dst]))
            if hit:
                # "the artist of the album X by Ray Charles": a hop to a page the question names
                ctx.reject("bridge_named", cid, url=e.dst, detail=f"{graph.nodes[e.dst].name!r} is named ({hit!r})")
                return None
        for e in chain:
            if e.via == "fact" and e.key.lower() in SONG_KEYS:
                rows = [f.value for f in graph.nodes[e.src].facts if f.key == e.key]
                if len({norm(v) for v in rows}) > 1:
                    # "the writer of The Long and Winding Road": Lennon–McCartney is the credit, its lead
                    # says Paul McCartney wrote it
                    ctx.reject("credit_conflict", cid, url=e.src, detail=f"{e.key}: {' / '.join(rows)}"[:300])
                    return None
        for e, nxt in pairwise(chain):
            if not (e.recording and nxt.via == "fact" and nxt.key.lower() in SONG_KEYS):
                continue
            if e.credit and not same_credit(list(e.credit), nxt.anchor):
                # "the writer of the third track": the list credits Ray Charles, the song's page Walter Davis
                ctx.reject("credit_conflict", cid, url=nxt.src,
                           detail=f"list credits {', '.join(e.credit)}; {nxt.key}: {nxt.anchor}"[:300])
                return None
            if not e.credit and nxt.src in self._contested:
                ctx.reject("credit_conflict", cid, url=nxt.src, detail=self._contested[nxt.src][:300])
                return None
        track = song_hop(chain[-1])
        credit = list(chain[-1].credit)
        facts: list[tuple[Fact, str]] = []
        leak = trivial = conflict = False
        said = ""
        shown = " ".join([e.anchor for e in chain] + [f.value for f in start.facts])
        for fact in target.facts:
            rows = [f.value for f in target.facts if f.key == fact.key]
            if fact.key.lower() in SONG_KEYS and len({norm(v) for v in rows}) > 1:
                # The Long and Winding Road: "Writer(s): Lennon–McCartney" and its lead "written by Paul
                # McCartney (credited to Lennon–McCartney)": "Who wrote …?" has two answers
                conflict = True
                said = f"{fact.key}: {' / '.join(rows)}"
                continue
            answer, why = askable(target, fact, ctx.cfg)
            if why:
                continue
            if track and fact.key.lower() not in SONG_KEYS:
                continue  # a track list entry's page is the song's: its single's date, length... are not the track's
            if credit and not same_credit(credit, fact.value):
                conflict = True  # the list credits other writers than the song's page: two answers
                continue
            if track and not credit and target.url in self._contested:
                # the hop says nothing of the writers (a B-side, a row with no credit and no note) and
                # another list of the crawl credits this song otherwise
                conflict = True
                continue
            if contains(shown, answer):
                leak = True
                continue
            if root_answer(graph, start, [answer]):
                trivial = True
                continue
            facts.append((fact, answer))
        if not facts:
            why = ("credit_conflict" if conflict else "answer_on_path" if leak else "answer_is_root" if trivial
                   else "no_askable_fact")
            ctx.reject(why, cid, url=target.url,
                       detail=(said or (f"list credits {', '.join(credit)}" if credit
                                        else self._contested.get(target.url, ""))) if conflict else "")
            return None
        # a known question form first, then any (seeded): varied, not always "when was it released"
        facts.sort(key=lambda fa: (fact_priority(fa[0].key) >= len(PRIORITY),
                                   ctx.rank("fact", start.url, target.url, len(chain), fa[0].key)))
        fact, answer = facts[0]
        # the real click path: to the start page from its root, then along the chain (a page may recur)
        golden = (graph.path_to(start.url) or [start.url]) + [e.dst for e in chain]
        slots = {
            "start": entity_slots(start),
            "hops": [e.slots(graph) for e in chain],
            "fact": {"page": target.url, "key": fact.key, "value": clean(fact.value), "answer": answer},
            "target": {"name": target.name, "url": target.url},
        }
        evidence = [e.evidence(graph) for e in chain] + [fact_evidence(target, fact)]
        return make_candidate(
            type="multi_hop", miner=self.name, root_url=start.root_url,
            source_urls=[start.url] + [e.dst for e in chain], golden_path=golden, evidence=evidence,
            answer=answer, hops=len(chain) + 1, language=lang(target), subject=start.name,
            relation=fact.key, slots=slots,
        )
