"""The entity graph of a crawl: one entity per page, with a kind, typed attributes and typed relations.

Built in one streaming pass over page-like records (``schemas.records.Page`` or the mining graph's
``synth.miners.base.Node``: anything with ``url``, ``subject``, ``title``, ``description``, ``site``,
``facts``, ``out_links``); nothing from the network, never the page text or HTML. Per entity it keeps
only parsed attribute values with their fact line (the evidence snippet), relation targets as integer
indices, and the out-links to other crawled pages as a compact ``array`` of indices, so memory grows
with the pages, no faster.

- **kind**: from the infobox "Type" line ("Single by …" → song, "Studio album by …" → album), then
  infobox keys (Born/Died → person, Directed by + Running time → film, Population/Time zone → place,
  Founded/Headquarters → organisation, Members → band, episodes/channel → tv series), the site
  (arxiv → paper, github → repository) and the first sentence ("is a 1994 film").
- **attributes** (typed): dates (released, born, died, recorded, founded, published), numbers
  (length, running time, budget, box office, population), places (birthplace, place of death, origin,
  location, country → region/country), people named in credits (producer, writer, director: their
  initials), genres, occupations, instruments, label (its initial), nationality (first sentence).
- **relations** (typed): link-valued facts resolved to crawled pages (``by`` for "Single by X",
  ``album``, ``writer``, ``producer``, ``director``, ``starring``, ``next``/``previous``,
  ``associated``, ``label``, ``birthplace`` …, else ``fact:<key>``), and ``links`` between pages.
"""

from __future__ import annotations

import re
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from synth.graph import values as V
from synth.graph.navfilms import award_records, navbox_films, navboxes
from synth.text import clean, norm, role_qualified, strip_quotes, url_key

SNIPPET_CHARS = 220

# canonical attribute key -> (value kind, infobox keys, lower-case)
DATE_KEYS = {
    "released": ("released", "release date", "release dates", "release date(s)", "original release",
                 "publication date", "published", "first published", "first air date"),
    "born": ("born",),
    "died": ("died",),
    "recorded": ("recorded",),
    "founded": ("founded", "formed", "established", "incorporated", "opened"),
    "active_from": ("years active", "active"),
    "discovered": ("discovery date",),
}
NUMBER_KEYS = {
    "length": (("length",), "s"),
    "running_time": (("running time",), "s"),
    "budget": (("budget",), "$"),
    "box_office": (("box office", "gross"), "$"),
    "population": (("population", "population (2000)", "population (2010)", "total"), ""),
}
PLACE_KEYS = {
    "birthplace": ("birthplace", "place of birth"),
    "deathplace": ("place of death",),
    "origin": ("origin",),
    "location": ("location", "headquarters", "headquarters location", "discovery site"),
    "country": ("country", "country of origin", "nationality"),
}
CREDIT_KEYS = {
    "producer": ("producer", "producer(s)", "produced by"),
    "writer": ("writer(s)", "writer", "written by", "songwriter(s)", "author", "lyrics by", "written"),
    "composer": ("composer", "composer(s)", "music by"),
    "director": ("directed by", "director"),
    "starring": ("starring",),
    "discoverer": ("discovered by",),
}
SET_KEYS = {
    "genre": ("genre", "genres", "genre(s)"),
    "occupation": ("occupation(s)", "occupation", "occupations"),
    "instrument": ("instruments", "instrument(s)", "instrument"),
    "language": ("language", "original language(s)"),
}
LABEL_KEYS = ("label", "labels", "label(s)", "publisher", "distributed by", "original channel")
REL_KEYS = {
    "album": ("album", "from the album"),
    "next": ("next single", "next album", "next release", "succeeded by", "followed by"),
    "previous": ("previous single", "previous album", "previous release", "preceded by"),
    "associated": ("associated acts",),
    "member": ("members", "past members", "current members"),
    "label": LABEL_KEYS,
    "birthplace": PLACE_KEYS["birthplace"],
    "based_on": ("based on",),
    **{k: v for k, v in CREDIT_KEYS.items()},
}
_KEY_TO: dict[str, tuple[str, str]] = {}
for _canon, _keys in DATE_KEYS.items():
    for _k in _keys:
        _KEY_TO[_k] = ("date", _canon)
for _canon, (_keys, _unit) in NUMBER_KEYS.items():
    for _k in _keys:
        _KEY_TO[_k] = ("num", _canon)
for _canon, _keys in PLACE_KEYS.items():
    for _k in _keys:
        _KEY_TO[_k] = ("place", _canon)
for _canon, _keys in CREDIT_KEYS.items():
    for _k in _keys:
        _KEY_TO[_k] = ("credit", _canon)
for _canon, _keys in SET_KEYS.items():
    for _k in _keys:
        _KEY_TO[_k] = ("set", _canon)
for _k in LABEL_KEYS:
    _KEY_TO[_k] = ("label", "label" if _k.startswith("label") else _k.replace(" ", "_"))
_REL_OF = {k: canon for canon, keys in REL_KEYS.items() for k in keys}
NUMBER_UNIT = {canon: unit for canon, (_, unit) in NUMBER_KEYS.items()}

_TYPE = re.compile(r"^\s*(?P<what>.+?)\s+by\s+(?P<by>.+)$", re.I)
_DESC_KIND = [
    (re.compile(r"\b(?:is|was) (?:an?|the) [^.]{0,60}?\b(film|movie)\b", re.I), "film"),
    (re.compile(r"\b(?:is|was) (?:an?|the) [^.]{0,60}?\b(album|compilation|box set)\b", re.I), "album"),
    (re.compile(r"\b(?:is|was) (?:an?|the) [^.]{0,60}?\b(song|single|ballad|standard)\b", re.I), "song"),
    (re.compile(r"\b(?:is|was) (?:an?|the) [^.]{0,60}?\b(sitcom|television series|tv series)\b", re.I), "tv series"),
    (re.compile(r"\b(?:is|was) (?:an?|the) [^.]{0,50}?\b(girl group|band|duo|trio|group)\b", re.I), "band"),
    (re.compile(r"\b(?:is|was) (?:an?|the) [^.]{0,50}?\b(town|city|village|municipality|county|commune|"
                r"community|district|province|region|island|river|lake|mountain)\b", re.I), "place"),
    (re.compile(r"\b(?:is|was) (?:an?|the) [^.]{0,50}?\b(company|university|school|college|club|"
                r"organi[sz]ation|party|team|railway|airline|newspaper|magazine)\b", re.I), "organisation"),
    (re.compile(r"\b(?:is|was) (?:an?|the) [^.]{0,40}?\b(asteroid|minor planet)\b", re.I), "asteroid"),
    (re.compile(r"^[^.]{0,120}?\(\s*(?:born\b|[^()]{0,40}?\b1[5-9]\d\d\s*[–-])", re.I), "person"),
]
KIND_NOUNS = {
    "song": "song", "album": "album", "film": "film", "person": "person", "band": "group",
    "tv series": "television series", "place": "place", "organisation": "organisation", "paper": "paper",
    "repository": "repository", "asteroid": "minor planet",
}
_OCC_NOUN = re.compile(r"\b(?:is|was) (?:an?|the) ([^.,;]{3,80}?)(?:,| who | best known| known| from | born |"
                       r" and (?:actor|actress|singer)\b|\.|$)")


_PERSON_NOUN = re.compile(r"(er|or|ist|ian|ess|ant|ent|man|woman|singer|star|poet|king|queen|monk|chef|judge|"
                         r"nun|pope|saint|spy|model|dj|mc|host|coach|general|officer|cleric|bishop|scholar)$",
                         re.I)


# a trailing "(…)" that ends in one of these is a Wikipedia disambiguator ("(2005 film)", "(Ray Charles album)")
_DISAMBIG_NOUN = re.compile(r"\b(?:film|movie|album|song|single|ep|band|group|musician|singer|novel|book|play|"
                            r"musical|soundtrack|series|tv series|sitcom|episode|comics?|video game|game)\s*$", re.I)
# … and one naming an edition or version is part of the title ("Disciple (Special Edition)")
_EDITION = re.compile(r"\b(?:edition|version|remaster(?:ed)?|reissue|deluxe|expanded|anniversary|live|"
                      r"vol(?:ume)?\.?\s*\w+|part\s+\w+|pt\.\s*\w+|remix(?:es)?|mono|stereo|bonus|acoustic|"
                      r"instrumental|demos?|unplugged|revisited|redux)\b", re.I)


def base_name(name: str) -> str:
    """A page title without its disambiguation: "Unchain My Heart (song)" → "Unchain My Heart";
    an edition or version qualifier stays: "Disciple (Special Edition)" is another record than "Disciple"."""
    full = clean(name)
    m = re.search(r"\s*\(([^()]*)\)\s*$", full)
    if m and not _DISAMBIG_NOUN.search(m.group(1)) and _EDITION.search(m.group(1)):
        return strip_quotes(full) or full
    s = strip_quotes(full[:m.start()] if m else full)
    return s or strip_quotes(full)


@dataclass(slots=True)
class Attr:
    """One typed attribute: ``kind`` (date | num | place | credit | set | label | nationality),
    the parsed ``value``, the fact ``key`` as written and the fact line as ``snippet``."""

    kind: str
    value: object
    key: str
    raw: str
    snippet: str


@dataclass(slots=True)
class Entity:
    idx: int
    url: str
    name: str            # the answer form: title without disambiguation or quotes
    title: str           # the page subject as crawled (an alias)
    kind: str
    noun: str            # how prose names it: "studio album", "single", "jazz saxophonist"
    site: str
    attrs: dict[str, Attr] = field(default_factory=dict)
    rels: list[tuple[str, int, str]] = field(default_factory=list)   # (relation, target idx, fact line)
    links: array = field(default_factory=lambda: array("i"))        # crawled pages it links to
    description: str = ""
    by: str = ""         # normalised credit of the "Type" row ("ray charles"): whose chronology it is in
    unresolved: frozenset = frozenset()  # relations whose row names a page the crawl does not hold
    # relations whose *sources* this page lists beyond what the crawl accounts for: an album's track list
    # naming a song no crawled page puts on it, a singer's discography, a town's notable people
    listed: frozenset = frozenset()
    # a record a crawled page lists (a discography row) or a page's second infobox describes (a cover
    # version), with no page of its own: only what the row states is known, every relation is open
    # (solve.py); it is a candidate the solver must refute, never a target nor a described neighbour
    open_record: bool = False
    # an open record whose row does not show where its title ends (or opens with a bracket): a name cue refutes it
    # only when no reading of the title fits (values.name_cue_possible)
    name_open: bool = False
    # a record of an uncrawled artist's navigation box: that artist's name (its 'by' is that artist, whom the
    # crawl does not hold: the solver knows its name and nothing else, so only a cue on the name refutes it)
    owner_name: str = ""
    # genre words the page's lead prose names ("It is an instrumental jazz album"): a genre clue is
    # not refuted by an infobox genre list the prose goes beyond
    prose_genres: frozenset = frozenset()
    # what sort of record its page or list says it is ("Live album by …", "Johnny Cash navigation box ›
    # Studio albums", "Discography › Compilations"): record_types classes; empty when nothing says
    types: frozenset = frozenset()
    # the title the record's own page gives it when that is not its name: the infobox caption ("Live" on Ray
    # Charles Live, "In Concert" on Ray Charles in Concert; strict audit round 12). A cue on the title holds of
    # the target only when it holds of both; a rival fits when either fits (solve.attr_ok)
    own_title: str = ""


# shared-value relations ("born in the same decade as Y"): relation -> (attribute key, how values compare)
SHARE_RELS = {
    "same_decade_born": ("born", "decade"), "same_decade_died": ("died", "decade"),
    "same_decade_released": ("released", "decade"), "same_decade_founded": ("founded", "decade"),
    "same_decade_discovered": ("discovered", "decade"), "same_nationality": ("nationality", "eq"),
    "same_country": ("country", "country"), "same_birthplace": ("birthplace", "city"),
    "same_genre": ("genre", "set"), "same_occupation": ("occupation", "set"), "same_language": ("language", "set"),
    "same_instrument": ("instrument", "set"), "same_discoverer": ("discoverer", "people"),
    "same_producer": ("producer", "people"), "same_director": ("director", "people"), "same_label": ("label", "first"),
}
SHARE_OF_ATTR = {key: rel for rel, (key, _) in SHARE_RELS.items()}


def share_tokens(a: Attr | None, how: str) -> frozenset[str]:
    """The values of an attribute two entities can share (empty: nothing safe to compare)."""
    if a is None:
        return frozenset()
    v = a.value
    if how == "decade":
        decades = {y // 10 for y in v} if isinstance(v, tuple) else set()
        return frozenset(f"{d}0s" for d in decades) if len(decades) == 1 else frozenset()  # one decade only
    if how == "eq":
        return frozenset({norm(str(v))}) if v else frozenset()
    if how == "country":
        return frozenset({norm(v["country"])}) if isinstance(v, dict) and v.get("country") else frozenset()
    if how == "city":
        raw = a.raw.split(";", 1)[1] if ";" in a.raw else a.raw
        city = norm(re.sub(r"\(.*?\)|\[.*?\]", "", raw.split(",", 1)[0]))
        if (not city or re.search(r"\d", city) or not isinstance(v, dict) or "," not in raw
                or city in V.US_STATE_REGION or city in V.COUNTRY_REGION or norm(v.get("country", "")) == city):
            return frozenset()
        return frozenset({city})
    if how == "set":  # the page's own items, no parent genres; "vocals" is not an instrument one "plays"
        return frozenset(V.genre_words(a.raw.split(": ", 1)[-1])) - {"vocals", "vocal", "voice", "singing"}
    if how == "people":
        return frozenset(norm(n) for n in V.person_names(a.raw) if norm(n))
    if how == "first":
        first = re.split(r",|;|/", re.sub(r"\(.*?\)", "", a.raw))[0]
        return frozenset({norm(first)}) if norm(first) else frozenset()
    return frozenset()


class EntityGraph:
    """Entities by index, by kind, with relation and link adjacency in both directions."""

    def __init__(self) -> None:
        self.entities: list[Entity] = []
        self.by_key: dict[str, int] = {}
        self.by_kind: dict[str, list[int]] = defaultdict(list)
        self.incoming: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
        self.linked_from: dict[int, array] = {}
        self.chronology_named: list[tuple[int, str, str]] = []  # (entity, rel, row) of chronology rows naming no page
        self.titles: set[str] = set()          # normalised titles, subjects and base names of every page
        self.max_title_words = 1
        self._shares: dict[tuple[str, str], list[int]] | None = None
        self._title_artists: dict[tuple[str, str], list[int]] | None = None
        # relations a page's own list states (a track list puts the song on the album): (rel, other idx)
        self.members_out: dict[int, list[tuple[str, int]]] = defaultdict(list)
        self.members_in: dict[int, list[tuple[str, int]]] = defaultdict(list)

    def __len__(self) -> int:
        return len(self.entities)

    def __iter__(self) -> Iterator[Entity]:
        return iter(self.entities)

    def shared(self, a: int, rel: str, b: int) -> frozenset[str]:
        """The values entities ``a`` and ``b`` share for a ``same_*`` relation (both pages state them)."""
        key, how = SHARE_RELS[rel]
        return (share_tokens(self.entities[a].attrs.get(key), how)
                & share_tokens(self.entities[b].attrs.get(key), how))

    def share_index(self) -> dict[tuple[str, str], list[int]]:
        """(relation, value) → entities whose page states that value (built once, on first use)."""
        if self._shares is None:
            idx: dict[tuple[str, str], list[int]] = defaultdict(list)
            for e in self.entities:
                if not e.kind or e.open_record:
                    continue
                for rel, (key, how) in SHARE_RELS.items():
                    for tok in share_tokens(e.attrs.get(key), how):
                        idx[(rel, tok)].append(e.idx)
            self._shares = dict(idx)
        return self._shares

    def artists_of_title(self, kind: str, name: str) -> list[int]:
        """Crawled people and groups any record of this kind and title is by (a crawled record's rows and
        lists, an open record's owner): a duet an uncrawled artist's navigation box lists may be theirs too."""
        if self._title_artists is None:
            idx: dict[tuple[str, str], set[int]] = defaultdict(set)
            for e in self.entities:
                if e.kind in ("song", "album"):
                    idx[(e.kind, norm(e.name))].update(self.possible(e.idx, "by", "out"))
            self._title_artists = {k: sorted(v) for k, v in idx.items()}
        return self._title_artists.get((kind, norm(name)), [])

    def get(self, url: str) -> Entity | None:
        i = self.by_key.get(url_key(url))
        return self.entities[i] if i is not None else None

    def of_kind(self, kind: str) -> list[int]:
        return self.by_kind.get(kind, [])

    def related(self, i: int, rel: str, direction: str = "out") -> list[int]:
        """Targets of ``rel`` from entity ``i`` (direction "out"), or its sources ("in"). Inverse
        relations count from either page ("Next album: B" on A is "Previous album: A" on B, even when
        B's own row links a URL that was not crawled); ``associated`` is symmetric."""
        if rel == "links":
            if direction == "out":
                return list(self.entities[i].links)
            return list(self.linked_from.get(i, ()))
        out_edges, in_edges = self.entities[i].rels, self.incoming.get(i, [])
        edges = out_edges if direction == "out" else in_edges
        found = [j for r, j, _ in edges if r == rel]
        inverse = INVERSE_RELS.get(rel)
        if inverse:
            other = in_edges if direction == "out" else out_edges
            found += [j for r, j, _ in other if r == inverse and j not in found]
        return found

    def possible(self, i: int, rel: str, direction: str = "out") -> list[int]:
        """:meth:`related` plus what the pages' own lists state (album X's track list names song S: S is
        on X even when S's page has no "Album" row naming X). The solver's view; the sampler asks only
        rows (:meth:`related`)."""
        found = self.related(i, rel, direction)
        extra = (self.members_out if direction == "out" else self.members_in).get(i, ())
        return found + [j for r, j in extra if r == rel and j not in found]

    def chronology_ok(self, a: int, rel: str, b: int) -> bool:
        """``a next b`` / ``a previous b`` that no page contradicts: every crawled page agrees that the
        later record follows the earlier one and nothing else does (a row naming an uncrawled page
        counts as another claim), so "the album that came right after X" has one reading; with a
        ``release_order`` (:class:`synth.chronology.ReleaseOrder`), no date or ordered list disagrees."""
        early, late = (a, b) if rel == "next" else (b, a)
        if "next" in self.entities[early].unresolved or "previous" in self.entities[late].unresolved:
            return False
        if not (set(self.related(early, "next", "out")) == {late}
                and set(self.related(late, "previous", "out")) == {early}):
            return False
        # and nothing else the crawl states contradicts it (release dates, the artist's ordered record
        # lists): the one rule the miners and E2HQA ask too (set by whoever builds the graph from pages)
        order = getattr(self, "release_order", None)
        e, lt = self.entities[early], self.entities[late]
        return order is None or not order.conflict_urls(e.url, lt.url, e.kind)

    def title_hits(self, text: str) -> list[str]:
        """Crawled page titles (normalised) that occur as whole words in ``text``."""
        words = norm(text).split()
        hits = []
        for n in range(1, min(self.max_title_words, len(words)) + 1):
            for k in range(len(words) - n + 1):
                g = " ".join(words[k:k + n])
                if g in self.titles:
                    hits.append(g)
        return hits

    # --- building ----------------------------------------------------------------------------
    def _add_title(self, s: str) -> None:
        n = norm(s)
        if n:
            self.titles.add(n)
            self.max_title_words = max(self.max_title_words, len(n.split()))


def clip_line(line: str, n: int = SNIPPET_CHARS) -> str:
    """A fact line clipped at a value boundary ("; " or ", "), never inside a word."""
    if len(line) <= n:
        return line
    cut = max(line.rfind("; ", 0, n), line.rfind(", ", 0, n))
    return line[:cut] if cut > 0 else line[:n].rsplit(" ", 1)[0]


def _raw_of(line: str, value: str) -> str:
    """The value as the (clipped) fact line shows it, so the snippet always contains it."""
    v = clean(value)
    return v if v in line else line.split(": ", 1)[-1]


def _type_line(value: str) -> tuple[str, str]:
    m = _TYPE.match(value or "")
    return (m.group("what").strip().lower(), m.group("by").strip()) if m else ((value or "").strip().lower(), "")


def infer_kind(site: str, keys: set[str], type_what: str, description: str) -> str:
    if site == "arxiv":
        return "paper"
    if site == "github":
        return "repository"
    if type_what:
        if "album" in type_what or "box set" in type_what or type_what.startswith("ep") or "compilation" in type_what:
            return "album"
        if "single" in type_what or "song" in type_what:
            return "song"
    if keys & {"born", "died", "birth name", "birthplace", "place of birth", "place of death"} and not keys & {
            "members", "past members"}:
        return "person"
    if keys & {"members", "past members", "current members"}:
        return "band"
    if "directed by" in keys and keys & {"running time", "starring", "box office", "budget"}:
        return "film"
    if keys & {"no. of episodes", "original channel", "no. of seasons"}:
        return "tv series"
    if keys & {"discovery date", "mpc designation", "orbital period"}:
        return "asteroid"
    if keys & {"population", "time zone", "area code(s)", "elevation", "postal code", "zip code", "coordinates"}:
        return "place"
    if keys & {"headquarters", "industry", "key people", "founder", "founder(s)", "products"}:
        return "organisation"
    if "origin" in keys and "years active" in keys:
        return "band"
    for rx, kind in _DESC_KIND:
        if rx.search(description or ""):
            return kind
    return ""


def _noun(kind: str, type_what: str, attrs: dict[str, Attr], description: str) -> str:
    if kind == "album" and type_what:
        w = re.sub(r"\s+", " ", type_what).strip()
        return w if len(w.split()) <= 3 else "album"
    if kind == "song" and type_what.startswith("single"):
        return "single"
    if kind == "person":
        m = _OCC_NOUN.search(description or "")
        if m:
            words = m.group(1).split()
            if words and words[0] in V.NATIONALITIES:
                words = words[1:]
            if 1 <= len(words) <= 4 and all(w.isalpha() or "-" in w for w in words) and _PERSON_NOUN.search(words[-1]):
                return " ".join(words)
        occ = attrs.get("occupation")
        if occ and isinstance(occ.value, tuple) and occ.value and _PERSON_NOUN.search(occ.value[0]):
            return occ.value[0]
        return "person"
    return KIND_NOUNS.get(kind, kind or "entity")


def _parse_attr(kind: str, canon: str, value: str) -> object:
    if kind == "date":
        return V.parse_years(value)
    if kind == "num":
        unit = NUMBER_UNIT[canon]
        if unit == "s":
            if canon == "running_time" and V.clock_without_seconds(value):
                return None  # "approx. 0:30 (per episode)" is half an hour, "1:48" a film's h:mm: not m:ss
            return V.parse_durations_s(value)
        if unit == "$":
            return V.parse_money(value)
        return V.parse_count(value)
    if kind == "place":
        return V.parse_place(value)
    if kind == "credit":
        names = V.person_names(value)
        return tuple(sorted({V.initials(n) for n in names if V.initials(n)})) or None
    if kind == "set":
        return tuple(V.genre_words(value)) or None
    if kind == "label":  # the initial of every label listed ("ABC Records (USA), Stateside/EMI" → A, S)
        out = []
        for part in re.split(r",|;|/", re.sub(r"\(.*?\)", "", value or "")):
            letters = [w[0].upper() for w in re.findall(r"[A-Za-z]\w*", part)]
            if letters and letters[0] not in out:
                out.append(letters[0])
        return tuple(out) or None
    return None


PageLike = object
PageSource = Iterable[PageLike] | Callable[[], Iterable[PageLike]]


# a date row that says it does not cover the whole record: the other parts' dates are not stated
_PARTIAL_ROW = re.compile(r"\b(?:except|excluding|apart from|overdub\w*|additional recordings?)\b", re.I)


def row_names(rel: str, value: str, links: int = 0) -> int:
    """How many names a relation row gives ("Producer: Ray Charles, Sid Feller" → 2): the crawl must
    account for each, or the row leaves the relation open."""
    if rel == "by":
        value = _type_line(value)[1]
    parts = re.split(r",|;|/| and | & | ft\.? | feat\.? | featuring ", re.sub(r"\(.*?\)|\[.*?\]", "", value or ""))
    return max(len([x for x in parts if x.strip().strip('"“”')]), links)


def entity_from(idx: int, page: PageLike) -> tuple[Entity, list[tuple[str, list[str], str, int]],
                                                    list[tuple[str, str, str, str]]]:
    """The entity of one page, its unresolved link-valued facts ``(relation, urls, fact line, names in
    the row)`` and what its own lists state (:func:`page_lists`). The records its lists name and its
    extra infoboxes are read by :func:`build_entity_graph` (:func:`page_extras`, :func:`listed_records`)."""
    subject = clean(getattr(page, "subject", "") or "")
    title = clean(getattr(page, "title", "") or "")
    description = clean(getattr(page, "description", "") or "")
    site = getattr(page, "site", "") or "generic"
    facts = list(getattr(page, "facts", []) or [])
    keys = {f.key.strip().lower() for f in facts}
    type_what, _by, type_row = "", "", ""
    for f in facts:
        if f.key.strip().lower() == "type":
            type_what, _by = _type_line(f.value)
            type_row = clip_line(clean(f"{f.key}: {f.value}"))
            break
    attrs: dict[str, Attr] = {}
    pending: list[tuple[str, list[str], str, int]] = []
    for f in facts:
        k = f.key.strip().lower()
        line = clip_line(clean(f"{f.key}: {f.value}"))
        if k == "type":
            if f.links or _by:
                pending.append(("by", list(f.links[:2]), line, row_names("by", f.value, len(f.links))))
            continue
        got = _KEY_TO.get(k)
        if got is not None:
            vkind, canon = got
            parsed = _parse_attr(vkind, canon, f.value)
            if canon == "recorded" and _PARTIAL_ROW.search(f.value):
                parsed = None  # "February - May 2006 at Los Angeles (except Charles' vocals)": not the whole record
            if vkind == "credit" and role_qualified(f.value):
                parsed = None  # "Producer: Tom Dowd (engineer)": the row says he did something else (unknown, open)
            if parsed is not None and canon not in attrs:
                attrs[canon] = Attr(vkind, parsed, f.key, _raw_of(line, f.value), line)
            if k == "born" and "birthplace" not in attrs:  # "September 23, 1930; Albany, Georgia, U.S."
                place = V.parse_place(f.value.split(";", 1)[1]) if ";" in f.value else None
                if place:
                    attrs["birthplace"] = Attr("place", place, f.key, _raw_of(line, f.value), line)
        rel = _REL_OF.get(k)
        if rel:  # without links, resolved later by the name the value gives (same kind rules)
            pending.append((rel, list(f.links[:6]), line, row_names(rel, f.value, len(f.links))))
        elif f.links and k not in ("website", "type") and not got:
            pending.append((f"fact:{k}", list(f.links[:3]), line, len(f.links)))
    nat = V.nationality(description)
    if nat:
        attrs["nationality"] = Attr("nationality", nat, "description", nat, description[:SNIPPET_CHARS])
    name = base_name(subject or title)
    kind = infer_kind(site, keys, type_what, description)
    if kind in ("song", "album") and _by and clean(_by) in type_row:  # "Single by Harlan Howard": whose record
        attrs["credited"] = Attr("name", clean(_by), "Type", clean(_by), type_row)
    what_raw = re.sub(r"\s+by\s+.*$", "", type_row.split(": ", 1)[-1]).strip() if type_row else ""
    if kind == "album" and record_types(what_raw) and what_raw in type_row:  # "Live album by …": its sort
        attrs["type"] = Attr("type", record_types(what_raw), "Type", what_raw, type_row)
    if kind == "place" and norm(name).startswith("list of"):
        kind = ""
    if norm(name).startswith(("list of", "lists of")) or "discography" in norm(name).split():
        kind = ""
    ent = Entity(idx=idx, url=getattr(page, "url", ""), name=name, title=subject or title, kind=kind,
                 noun=_noun(kind, type_what, attrs, description), site=site, attrs=attrs,
                 description=description[:SNIPPET_CHARS], by=norm(_by),
                 types=record_types(type_what) if kind == "album" else frozenset(),
                 own_title=_own_title(page_extras(page).get("caption", ""), name))
    return ent, pending, page_lists(kind, getattr(page, "enumerations", None) or ())


_PERSONS_KINDS = ("person", "band")
# Lists on a page that state relations of the page's entity (the section path or label says what they
# hold), per kind of the page: (section pattern, relations, direction, item role). "in": each item is a
# *source* of the relation to the page (a track list: the song is on this album); "out": a *target*
# (a cast list: the film stars this person). An item the crawl does not account for leaves the page
# open for that relation (``Entity.listed`` / ``Entity.unresolved``), so the solver cannot refute it
# through that relation: the uncrawled item may satisfy whatever a question says about it.
_WORKS_LIST = re.compile(r"\b(?:discography|albums?|singles?|songs?|recordings?|releases?|eps?|filmography|films?|"
                         r"movies|television|tv|works|compositions|productions|bibliography|books|roles|credits)\b", re.I)
_NOT_OWN_WORKS = re.compile(r"\b(?:sideman|guest|appearances?|covers?|cover versions|tributes?|samples?|about)\b", re.I)
_WORK_CREDIT_RELS = ("by", "writer", "composer", "producer", "director", "starring")
LIST_RELS: dict[str, list[tuple[re.Pattern, tuple[str, ...], str, re.Pattern | None]]] = {
    "album": [(re.compile(r"\b(?:track|tracks|tracklist|track listing|singles?|songs?|side (?:one|two|three|four|[a-d12])|"
                          r"bonus|disc (?:one|two|\d))\b", re.I), ("album",), "in", None),
              (re.compile(r"\b(?:personnel|credits|production)\b", re.I), ("producer",), "out",
               re.compile(r"\bproduc", re.I))],
    "person": [(_WORKS_LIST, _WORK_CREDIT_RELS, "in", None)],
    "band": [(_WORKS_LIST, _WORK_CREDIT_RELS, "in", None),
             (re.compile(r"\b(?:members|line-?ups?|personnel)\b", re.I), ("member",), "out", None)],
    "film": [(re.compile(r"\b(?:cast|starring)\b", re.I), ("starring",), "out", None)],
    "tv series": [(re.compile(r"\b(?:cast|starring)\b", re.I), ("starring",), "out", None)],
    "place": [(re.compile(r"\b(?:notable|people|natives|residents|famous|personalities|born)\b", re.I),
               ("birthplace",), "in", None)],
    "organisation": [(re.compile(r"\b(?:artists|roster|releases|discography|catalog(?:ue)?|notable)\b", re.I),
                      ("label",), "in", None)],
}
_QUOTED = re.compile(r"[\"“”„«»]([^\"“”„«»]{1,120})[\"“”„«»]")


def list_item_name(item: str, *, titles: bool = True) -> tuple[str, str]:
    """(name, role) of one list or table item: the quoted title of a track or chart row
    ('"You Are My Sunshine" (Jimmie Davis) – 3:01', 'ABC 10375 | “Your Cheating Heart” | #23') when
    ``titles``, else the first cell without a trailing year, with its role ('Sid Feller – producer')."""
    item = clean(item)
    m = _QUOTED.search(item) if titles else None
    if m:
        return clean(m.group(1)), ""
    cell = item.split(" | ", 1)[0]
    parts = re.split(r"\s+[–—-]\s+|:\s+", cell, maxsplit=1)
    name = re.sub(r"\s*\([^()]*\d{4}[^()]*\)\s*$", "", parts[0]).strip()  # "Easy (1978)"
    return strip_quotes(name), clean(parts[1]) if len(parts) > 1 else ""


# what a listed item may be: the kinds of a relation's sources ("in") or targets ("out")
_WORK_KINDS = ("song", "album", "film", "tv series")
_LIST_SOURCE_KINDS = {"album": ("song", "album"), "birthplace": ("person",), "label": ("album", "song"),
                      **{r: _WORK_KINDS for r in _WORK_CREDIT_RELS}}


def page_lists(kind: str, enumerations: Iterable[object]) -> list[tuple[str, str, str, str]]:
    """What the page's own lists say about its entity's relations: ``(relation, direction, item name,
    item URL)`` per listed item (navigation boxes and infobox rows are not the page's lists)."""
    out: list[tuple[str, str, str, str]] = []
    for en in enumerations or ():
        if getattr(en, "kind", "") not in ("list", "table"):
            continue
        where = f"{getattr(en, 'section', '')} › {getattr(en, 'label', '')}"
        links = list(getattr(en, "item_links", []) or [])
        for rx, rels, direction, role_rx in LIST_RELS.get(kind, ()):
            if not rx.search(where):
                continue
            if rels == _WORK_CREDIT_RELS and _NOT_OWN_WORKS.search(where):
                continue  # "Discography › As sideman": someone else's records
            for i, item in enumerate(getattr(en, "items", []) or []):
                name, role = list_item_name(item, titles=direction == "in" and rels != ("birthplace",))
                if role_rx is not None and not role_rx.search(role):
                    continue
                link = links[i] if i < len(links) else ""
                if name or link:
                    out.extend((rel, direction, name, link) for rel in rels)
    return out


INVERSE_RELS = {"next": "previous", "previous": "next", "associated": "associated"}
_PERSONS = _PERSONS_KINDS
REL_TARGET_KINDS = {"by": _PERSONS, "writer": _PERSONS, "composer": _PERSONS, "producer": _PERSONS, "director": _PERSONS,
                    "starring": _PERSONS, "associated": _PERSONS, "member": _PERSONS, "album": ("album",),
                    "birthplace": ("place",), "label": ("organisation",)}


def _by_name(g: EntityGraph, names: dict[str, list[int]], ent: Entity, rel: str, line: str) -> list[int]:
    """Targets of a relation fact without links, by the names its value gives ("Next album: X" → the
    crawled page titled X), when exactly one crawled entity of a fitting kind has that name."""
    value = line.split(": ", 1)[-1]
    if rel == "by":
        value = _type_line(value)[1]
    kinds = REL_TARGET_KINDS.get(rel, (ent.kind,) if rel in ("next", "previous") else ())
    if not kinds:
        return []
    out = []
    for part in re.split(r",|;|/| and | & | ft\.? | feat\.? | featuring ", value):
        n = norm(re.sub(r"\(.*?\)|\[.*?\]", "", part).strip().strip('"“”'))
        hits = [j for j in names.get(n, ()) if g.entities[j].kind in kinds] if n else []
        if len(hits) == 1:
            out.append(hits[0])
    return out


def build_entity_graph(pages: PageSource) -> EntityGraph:
    """One pass over the pages (a callable is called once), then link resolution by URL key."""
    g = EntityGraph()
    pending_rels: list[list[tuple[str, list[str], str, int]]] = []
    pending_lists: list[list[tuple[str, str, str, str]]] = []
    pending_links: list[array] = []
    # (listed records, extra infoboxes, navbox records, navbox films) per page
    pending_records: list[tuple[list, list, list, list]] = []
    leads: list[str] = []
    pending_acts: list[tuple[int, str]] = []  # (holder, associated act the crawl does not hold)
    pending_people: list[tuple[int, str, tuple[str, ...], str]] = []  # (holder, name, roles, row): Personnel lists
    link_ids: dict[str, int] = {}  # url key -> small int (interned once)
    for page in pages() if callable(pages) else pages:
        if getattr(page, "status", 200) >= 400:
            continue
        url = getattr(page, "url", "")
        if not url or url_key(url) in g.by_key:
            continue
        idx = len(g.entities)
        ent, pending, lists = entity_from(idx, page)
        g.entities.append(ent)
        for u in (url, getattr(page, "final_url", "") or ""):
            if u:
                g.by_key.setdefault(url_key(u), idx)
        for t in (ent.title, ent.name, getattr(page, "title", "") or ""):
            g._add_title(t)
        pending_rels.append(pending)
        pending_lists.append(lists)
        extras = page_extras(page)
        enums = getattr(page, "enumerations", None) or ()
        pending_records.append((listed_records(ent.kind, ent.name, enums, extras.get("row_years")),
                                list(extras.get("infoboxes") or ()), navbox_records(enums),
                                [*(("film", t, y, r, "") for t, y, r in extras.get("films") or ()),
                                 *(extras.get("awarded") or ())]))
        leads.append(extras.get("lead") or "")
        pending_people.extend((idx, *row) for row in personnel_people(ent.kind, enums))
        ids = array("i")
        for lk in getattr(page, "out_links", []) or []:
            u = lk.url if hasattr(lk, "url") else lk[0]
            ids.append(link_ids.setdefault(url_key(u), len(link_ids)))
        pending_links.append(ids)
    names: dict[str, list[int]] = defaultdict(list)
    for e in g.entities:
        for n in {norm(e.name), norm(e.title)}:
            if n:
                names[n].append(e.idx)
    id_to_idx = {lid: g.by_key[k] for k, lid in link_ids.items() if k in g.by_key}
    del link_ids
    linked_from: dict[int, set[int]] = defaultdict(set)
    for ent, pending, ids in zip(g.entities, pending_rels, pending_links, strict=True):
        seen: set[tuple[str, int]] = set()
        unresolved: set[str] = set()
        for rel, urls, line, n_names in pending:
            targets = [g.by_key.get(url_key(u)) for u in urls] if urls else _by_name(g, names, ent, rel, line)
            kept = 0
            for j in targets:
                if j is None or j == ent.idx:
                    continue
                if rel in ("next", "previous") and ent.by != g.entities[j].by:
                    continue  # "Next single: I'm Moving On" links the song's original by another artist
                kept += 1
                if (rel, j) in seen:
                    continue
                seen.add((rel, j))
                ent.rels.append((rel, j, line))
                g.incoming[j].append((rel, ent.idx, line))
            if kept < n_names and line.split(": ", 1)[-1].strip():
                unresolved.add(rel)  # a name of the row the crawl does not hold ("Producer: Ray Charles, Sid Feller")
                if rel in ("next", "previous"):
                    g.chronology_named.append((ent.idx, rel, line))  # "Previous single: Losing Hand": no page
                if rel == "associated":  # "Associated acts: …, USA for Africa": an act the crawl does not hold
                    held = {norm(g.entities[j].name) for j in targets if j is not None} | {
                        norm(g.entities[j].title) for j in targets if j is not None}
                    pending_acts.extend((ent.idx, n) for n in _row_name_list(line) if norm(n) not in held and not any(
                        g.entities[j].kind in _PERSONS_KINDS for j in names.get(norm(n), ())))
        ent.unresolved = frozenset(unresolved)
        out = sorted({id_to_idx[i] for i in ids if i in id_to_idx and id_to_idx[i] != ent.idx})
        ent.links = array("i", out)
        for j in out:
            linked_from[j].add(ent.idx)
        if ent.kind:
            g.by_kind[ent.kind].append(ent.idx)
    g.linked_from = {j: array("i", sorted(s)) for j, s in linked_from.items()}
    for ent, lists in zip(g.entities, pending_lists, strict=True):
        _resolve_lists(g, names, ent, lists)
    _prose_genres(g, leads)
    del leads
    _add_open_records(g, names, pending_records)
    for holder, act in pending_acts:  # "a group associated with …": the uncrawled act may be that group
        h = g.entities[holder]
        _add_open_record(g, "band", act, KIND_NOUNS["band"], h.url, h.site, "", None, act, None)
    _add_personnel(g, names, pending_people)
    return g


# a credit that does not say what the person played or sang ("Natalie Cole - Author, Guest Appearance"): their
# instruments stay open, so "a singer who played vocals" is not refuted by the row
_VAGUE_ROLE = re.compile(r"\b(?:guest|featur\w*|duet|appearance|performer|performs?|artist|soloist|special|"
                         r"musicians?|various|additional)\b", re.I)


def _add_personnel(g: EntityGraph, names: dict[str, list[int]],
                   pending: list[tuple[int, str, tuple[str, ...], str]]) -> None:
    """People a record's Personnel list credits that the crawl does not hold: open candidates (a person, or
    a group for "The Raelettes"-like names) whose instruments are the role words of every row naming them."""
    people: dict[str, tuple[int, str, list[str], list[str]]] = {}
    for holder, name, roles, row in pending:
        key = norm(name)
        if not key or any(g.entities[j].kind in _PERSONS_KINDS and not g.entities[j].open_record
                          for j in names.get(key, ())):
            continue  # "Ray Charles – piano": the crawled person
        _, _, rs, rows = people.setdefault(key, (holder, name, [], []))
        rs.extend(r for r in roles if r not in rs)
        rows.append(row)
    for holder, name, roles, rows in people.values():
        h = g.entities[holder]
        kind = "band" if _GROUP_NAME.search(name) else "person"
        _add_open_record(g, kind, name, KIND_NOUNS[kind], h.url, h.site, "", None, rows[0], None)
        if roles and not any(_VAGUE_ROLE.search(r) for r in roles):  # "Guest Appearance": what they did is not said
            g.entities[-1].attrs["instrument"] = Attr("set", tuple(roles), "Personnel", "; ".join(rows)[:300], rows[0])


def _row_name_list(line: str) -> list[str]:
    """The names a fact row lists ("Associated acts: The Raelettes, USA for Africa, Billy Joel")."""
    value = line.split(": ", 1)[-1]
    out = []
    for part in re.split(r",|;|/| and | & ", re.sub(r"\(.*?\)|\[.*?\]", "", value)):
        n = part.strip().strip('"“”')
        if n and len(n) <= 80:
            out.append(n)
    return out


def _resolve_lists(g: EntityGraph, names: dict[str, list[int]], ent: Entity,
                   lists: list[tuple[str, str, str, str]]) -> None:
    """The relations ``ent``'s own lists state, as member edges to the crawled items (the solver's
    :meth:`EntityGraph.possible`), and the relations left open by items the crawl does not account for:
    an uncrawled track, or a crawled page about another artist's recording of it."""
    listed, unresolved = set(), set(ent.unresolved)
    for rel, direction, name, link in lists:
        kinds = _LIST_SOURCE_KINDS.get(rel, ()) if direction == "in" else REL_TARGET_KINDS.get(rel, ())
        j = g.by_key.get(url_key(link)) if link else None
        hits = [j] if j is not None else names.get(norm(name), []) if name else []
        hits = [h for h in hits if h != ent.idx and g.entities[h].kind in kinds]
        for h in hits:
            s, o = (h, ent.idx) if direction == "in" else (ent.idx, h)
            if o not in g.related(s, rel, "out") and (rel, o) not in g.members_out[s]:
                g.members_out[s].append((rel, o))
                g.members_in[o].append((rel, s))
        if direction == "out":
            if not hits:
                unresolved.add(rel)
        elif not hits or (rel == "album" and not any(ent.by and g.entities[h].by == ent.by
                                                     and g.entities[h].kind == "song" for h in hits)):
            listed.add(rel)  # the crawled page is about another artist's recording of the track (or not a song)
    if ent.kind in _PERSONS_KINDS and "associated" in unresolved:
        listed.add("member")  # "Associated acts: …, USA for Africa" (not crawled): a group it may belong to
    ent.listed = frozenset(listed)
    ent.unresolved = frozenset(unresolved)


# --- records with no page of their own: list rows and extra infoboxes (the solver's open candidates) ---
_INFOBOX = re.compile(r"<table[^>]*\bclass=\"[^\"]*\binfobox\b", re.I)
_DESC_TH = re.compile(r"<th[^>]*\bclass=\"[^\"]*\bdescription\b[^\"]*\"[^>]*>(.*?)</th>", re.I | re.S)
_RELEASED_ROW = re.compile(r">\s*Released\s*</th>\s*<td[^>]*>(.*?)</td>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
LEAD_CHARS = 1500


def _record_kind(what: str) -> str:
    """The kind of a record an infobox type line or a list heading names ("" when none)."""
    w = what.lower()
    if re.search(r"\b(?:singles?|songs?)\b", w):
        return "song"
    if re.search(r"\b(?:albums?|compilations?|box sets?|eps?|lps?|soundtracks?|discography|releases|recordings)\b", w):
        return "album"
    if re.search(r"\b(?:films?|filmography|movies)\b", w):
        return "film"
    return ""


_RECORD_TYPES = (("studio", re.compile(r"\bstudio\b", re.I)), ("live", re.compile(r"\blive\b", re.I)),
                 ("compilation", re.compile(r"\b(?:compilations?|greatest hits|hits albums?|best of|box sets?|"
                                            r"anthology|anthologies)\b", re.I)),
                 ("soundtrack", re.compile(r"\b(?:soundtracks?|cast recordings?)\b", re.I)),
                 ("ep", re.compile(r"\beps?\b", re.I)), ("remix", re.compile(r"\bremix", re.I)))


def record_types(what: str) -> frozenset[str]:
    """The sorts of album a type line or a list heading names ("Live album" → live, "Greatest hits album" →
    compilation, "Studio albums" → studio); empty when it names none ("Albums", "Gospel albums", "The ABC
    years"): such a record may be of any sort. Two sorts ("Live compilation") keep both."""
    return frozenset(t for t, rx in _RECORD_TYPES if rx.search(what or ""))


def infobox_records(html_text: str) -> list[tuple[str, str, str]]:
    """``(type line, credited artist, Released value)`` of every record infobox of a page, in page order
    ("Single by The Everly Brothers", a cover version's second infobox). HTML is only searched, never kept."""
    import html as _html

    out: list[tuple[str, str, str]] = []
    starts = [m.start() for m in _INFOBOX.finditer(html_text or "")]
    for i, st in enumerate(starts):
        seg = html_text[st:starts[i + 1] if i + 1 < len(starts) else st + 30000]
        for m in _DESC_TH.finditer(seg):
            line = clean(_html.unescape(_TAG.sub(" ", m.group(1))).replace("\xa0", " "))
            what, by = _type_line(line)
            if by and _record_kind(what) in ("song", "album"):
                rel = _RELEASED_ROW.search(seg, m.end())
                released = clean(_html.unescape(_TAG.sub(" ", rel.group(1)))) if rel else ""
                out.append((line, by, released))
                break
    return out


def infobox_caption(text: str) -> str:
    """The title a page's infobox caption gives its entity: the first cell of the first table row of the lead, as
    the extracted text writes it ('| Live |  |' on Ray Charles Live), unquoted; '' when there is none."""
    for ln in (text or "").splitlines():
        if ln.startswith("##"):
            return ""
        if ln.lstrip().startswith("|"):
            cells = [c.strip() for c in ln.strip().strip("|").split("|") if c.strip()]
            cap = clean(cells[0]).strip("\"“”") if cells and not set(cells[0]) <= set("-: ") else ""
            return cap if len(cap) <= 120 else ""
    return ""


def caption_title(text: str, name: str) -> str:
    """The title a page's infobox caption gives its entity when it is not ``name`` (folded), else ''."""
    return _own_title(infobox_caption(text), name)


def _own_title(caption: str, name: str) -> str:
    return caption if caption and norm(caption) != norm(name) else ""


def lead_of(text: str) -> str:
    """The lead prose of a page's extracted text: after its title, before its first section heading,
    without table rows (the infobox), clipped."""
    lines: list[str] = []
    size = 0
    for ln in (text or "").splitlines():
        if ln.startswith("##"):
            break
        if ln.startswith("#") or ln.lstrip().startswith("|"):
            continue
        lines.append(ln)
        size += len(ln)
        if size > LEAD_CHARS:
            break
    return clean(" ".join(lines))[:LEAD_CHARS]


def page_extras(page: PageLike) -> dict:
    """What the entity graph needs from a page's text and HTML, computed once per page (the mining
    graph keeps it on its node, ``Node.extras``): the lead prose and the record infoboxes."""
    got = getattr(page, "extras", None)
    if got is not None:
        return got
    text = getattr(page, "text", "") or ""
    html_text = getattr(page, "html", "") or ""
    boxes = navboxes(html_text)  # parsed once for both readers
    return {"lead": lead_of(text), "infoboxes": infobox_records(html_text), "row_years": table_years(text),
            "films": navbox_films(boxes), "awarded": award_records(boxes), "caption": infobox_caption(text)}


_MD_YEAR = re.compile(r"(?:1[0-9]|20)\d\d")


def table_years(text: str) -> dict[str, tuple]:
    """Title → years of the rows of a page's "| Year | Title | …" tables (a discography), as the
    extracted text writes them: a row whose year cell is blank continues the year above it (a spanning
    cell), kept as a span up to the next year the table gives, so it is never narrower than the truth."""
    out: dict[str, tuple] = {}
    if "| Year |" not in (text or ""):
        return out
    block: list[str] = []
    for ln in [*(text or "").splitlines(), ""]:
        if ln.lstrip().startswith("|"):
            block.append(ln)
            continue
        if len(block) > 2:
            _table_block_years(block, out)
        block = []
    return out


def _table_block_years(block: list[str], out: dict[str, tuple]) -> None:
    def cells(ln: str) -> list[str]:
        return [c.strip() for c in ln.strip().strip("|").split("|")]

    if norm(cells(block[0])[0]) != "year":
        return
    rows: list[tuple[int | None, str]] = []
    for ln in block[1:]:
        cs = cells(ln)
        if len(cs) < 2 or (set(cs[0]) <= set("-: ") and cs[0]):
            continue  # the |---| separator
        title = cs[1].replace("*", "").strip()
        if not title:
            continue  # a sub-header row ("|  |  | US | UK |")
        if cs[0] and not _MD_YEAR.fullmatch(cs[0]):
            return  # not a year column after all
        rows.append((int(cs[0]) if cs[0] else None, title))
    explicit = [y for y, _ in rows if y is not None]
    if explicit != sorted(explicit):
        return  # not in year order: a blank cell cannot be read as "the year above"
    last: int | None = None
    for i, (y, title) in enumerate(rows):
        if y is not None:
            last, years = y, (y,)
        elif last is None:
            continue
        else:
            nxt = next((z for z, _ in rows[i + 1:] if z is not None), None)
            years = (V.YearSpan(last, nxt),) if nxt and nxt > last else (last,)
        for t, _ in record_rows(title, None):
            # a title in two rows ("Come Rain or Come Shine": an Atlantic single of 1960, an ABC one of 1968) keeps
            # every year: two records of one title, either of which a clue on its year may be about
            out[norm(t)] = (*out.get(norm(t), ()), *(y for y in years if y not in out.get(norm(t), ())))


_LEAD_YEAR = re.compile(r"^\s*((?:1[0-9]|20)\d\d)(?:\s*[:–—-]\s+|\s*:\s*|\s+(?=[^\s(]))(.+)$")
_TAIL_YEAR = re.compile(r"\s*\(((?:1[0-9]|20)\d\d)\)\s*$")
_ALL_QUOTED = re.compile(r"[\"“]([^\"“”]{1,120})[\"”]")
_INNER_YEAR = re.compile(r"\(((?:1[0-9]|20)\d\d)\)")
# an unquoted title that may run on into a label, a catalogue number or a note: its words are not sure
_RUN_ON = re.compile(r"\s[–—-]\s|[()]|\d{3,}|\s/\s")


def record_rows(item: str, section_years: tuple[int, ...] | None) -> list[tuple[str, tuple[int, ...] | None]]:
    """``(title, years)`` of the records one list or table row names: every quoted title of a single
    row ('"A" / "B"': both sides), else the row's first cell without its year prefix or suffix and its
    trailing "(Label)"; years from "1958: …" or "… (1949)", else the section's ("1949–1953: …" as a span)."""
    item = clean(item)
    years: tuple[int, ...] | None = None
    m = _LEAD_YEAR.match(item)
    if m:
        years, item = (int(m.group(1)),), m.group(2)
    t = _TAIL_YEAR.search(item)
    if t and years is None:
        years = (int(t.group(1)),)
    if years is None:  # "House of David (1967) Atlantic 1489": one bracketed year inside the row
        inner = _INNER_YEAR.findall(item.split(" | ", 1)[0])
        if len(inner) == 1:
            years = (int(inner[0]),)
    quoted = [clean(q) for q in _ALL_QUOTED.findall(item.split(" | ", 1)[0])]
    if quoted:
        titles = quoted
    else:
        cell = _TAIL_YEAR.sub("", item.split(" | ", 1)[0])
        cell = _strip_tail_parens(cell)  # "(Atlantic)", "(Rhino (WEA))", "(with Billy Joel)"
        titles = [strip_quotes(cell)] if cell else []
    if years is None and section_years:
        years = section_years
    return [(t_, years) for t_ in titles if t_ and len(t_) <= 120]


def _strip_tail_parens(cell: str) -> str:
    """A cell without its trailing bracketed remark, nested brackets included ("X (Rhino (WEA))" → "X")."""
    cell = cell.strip()
    if not cell.endswith(")"):
        return cell
    depth = 0
    for i in range(len(cell) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(cell[i], 0)
        if depth == 0:
            return cell[:i].strip() or cell
    return cell


def _section_years(where: str) -> tuple[int, ...] | None:
    """The years a list's own heading gives ("1949–1953: Ray Charles, The Ray Charles Trio" → a span)."""
    last = where.rsplit(" › ", 1)[-1]
    ys = [int(y) for y in V.YEAR.findall(last.split(":", 1)[0])] if ":" in last else []
    if len(ys) == 1:
        return (ys[0],)
    if len(ys) == 2 and ys[0] <= ys[1]:
        return (V.YearSpan(ys[0], ys[1]),)
    return None


_CO_CREDIT = re.compile(r"\b(?:with|feat|featuring|duet|and|vs)\b|&|/", re.I)


def listed_records(kind: str, name: str, enumerations: Iterable[object],
                   row_years: dict[str, tuple] | None = None) -> list[tuple[str, str, str, tuple | None, str, bool,
                                                                             frozenset]]:
    """Records a page's works lists name: ``(record kind, title, item URL, years, row, credit shared)`` for a person's
    or group's own discography lists and a "X discography" page's lists (navigation boxes, infobox rows
    and "As sideman" lists are not the owner's works); a row's year from the row, its list's heading or
    the page's year-column tables (``row_years``, :func:`table_years`); ``credit shared``: the row or its
    heading credits someone beside the owner ("(with Willie Nelson)", "1949: The McSon Trio"); the sorts of album its
    list's heading names (:func:`record_types`: "Albums › Compilations")."""
    if kind not in _PERSONS_KINDS and "discography" not in norm(name).split():
        return []
    out = []
    for en in enumerations or ():
        if getattr(en, "kind", "") not in ("list", "table"):
            continue
        where = f"{getattr(en, 'section', '')} › {getattr(en, 'label', '')}"
        if not _WORKS_LIST.search(where) or _NOT_OWN_WORKS.search(where) or re.search(r"\bvideo", where, re.I):
            continue
        rkind = _record_kind(where) or ("tv series" if _TV_LIST.search(where) else "")
        if not rkind:
            continue
        # a bare "Discography" list: quoted titles are songs, the others albums
        generic = rkind == "album" and not re.search(r"\b(?:albums?|compilations?|box sets?|eps?|lps?|soundtracks?)\b",
                                                     where, re.I)
        sy = _section_years(where)
        # "1949: The McSon Trio": the heading credits its rows to someone else than the list's owner
        other_credit = ":" in where.rsplit(" › ", 1)[-1]
        types = record_types(where)
        links = list(getattr(en, "item_links", []) or [])
        for i, item in enumerate(getattr(en, "items", []) or []):
            link = links[i] if i < len(links) else ""
            quoted = bool(_ALL_QUOTED.search(item.split(" | ", 1)[0]))
            rows = [(tv_row_title(item), None)] if rkind == "tv series" else record_rows(item, sy)
            for title, years in rows:
                if not title:
                    continue
                years = years or (row_years or {}).get(norm(title)) if rkind != "tv series" else None
                rest = clean(item).replace(title, " ")
                shared = other_credit or bool(_CO_CREDIT.search(rest))
                kind_ = "song" if generic and quoted else rkind
                out.append((kind_, title, link, years, clip_line(clean(item)), shared,
                            types if kind_ == "album" else frozenset()))
    return out


_TV_LIST = re.compile(r"\b(?:television|tv)\b", re.I)
_TV_TAIL = re.compile(r",\s*(?:episodes?|seasons?)\b|\s+\(|\s+as\s", re.I)


def tv_row_title(item: str) -> str:
    """The series a "Television" list row names ('Who's the Boss, episode "Hit the Road, Chad" (1987)
    (himself)' → "Who's the Boss"); the episode's date is not the series' year, so none is kept."""
    head = clean(item).split(" | ", 1)[0]
    return strip_quotes(_TV_TAIL.split(head, 1)[0].strip(" ,")) if head else ""


_PERSONNEL = re.compile(r"\bpersonnel\b", re.I)
_CREDIT_DASH = re.compile(r"^(?P<name>[^–—:]+?)\s+[–—-]\s+(?P<roles>.+)$")
_CREDIT_COLON = re.compile(r"^(?P<roles>[^:]{2,60}):\s*(?P<names>.+)$")
_GROUP_NAME = re.compile(r"^the\s|\b(?:orchestra|singers|choir|chorus|band|quartet|trio|quintet|ensemble)\b", re.I)


def role_words(roles: str) -> tuple[str, ...]:
    """A personnel row's role words as instruments ("flute, alto and tenor saxophone" → flute, alto
    saxophone, tenor saxophone; bracketed track notes left out)."""
    out: list[str] = []
    for part in re.split(r",|;|/", re.sub(r"\(.*?\)|\[.*?\]", "", roles or "")):
        part = norm(part)
        m = re.fullmatch(r"(\w+) and (\w+) (\w+)", part)
        for w in ([f"{m[1]} {m[3]}", f"{m[2]} {m[3]}"] if m else re.split(r"\s+and\s+|\s*&\s*", part)):
            w = re.sub(r"\bsax\b", "saxophone", w.strip())  # "tenor sax" is a saxophone
            if w and len(w) <= 30 and w not in out:
                out.append(w)
    return tuple(out)


def personnel_people(kind: str, enumerations: Iterable[object]) -> list[tuple[str, tuple[str, ...], str]]:
    """People a record's "Personnel" lists credit: ``(name, role words, row)`` ("Frank Wess – flute, alto and
    tenor saxophone"; "Recording engineers: Bill Schwartau and Tom Dowd")."""
    if kind not in ("album", "song"):
        return []
    out = []
    for en in enumerations or ():
        if getattr(en, "kind", "") not in ("list", "table"):
            continue
        if not _PERSONNEL.search(f"{getattr(en, 'section', '')} › {getattr(en, 'label', '')}"):
            continue
        for item in getattr(en, "items", []) or []:
            row = clean(item).split(" | ", 1)[0]
            m = _CREDIT_DASH.match(row)
            if m:
                people, roles = [m["name"].strip()], m["roles"]
            else:
                c = _CREDIT_COLON.match(row)
                if not c:
                    continue
                people, roles = V.person_names(c["names"]), c["roles"]
            for name in people:
                if V.person_names(name):
                    out.append((name, role_words(roles), clip_line(row)))
    return out


_NAVBOX_OWNER = re.compile(r"^(.+?)\s+navigation box\b", re.I)


def navbox_records(enumerations: Iterable[object]) -> list[tuple[str, str, str, str, frozenset]]:
    """Records an artist's navigation box lists ("The Everly Brothers navigation box › Studio albums"):
    ``(owner name, record kind, title, item URL, sorts of album the label names)``; the box names the artist
    whose works it lists."""
    out = []
    for en in enumerations or ():
        if getattr(en, "kind", "") != "navbox":
            continue
        m = _NAVBOX_OWNER.match(getattr(en, "section", "") or "")
        label = getattr(en, "label", "") or ""
        if not m or _NOT_OWN_WORKS.search(label):
            continue
        rkind = _record_kind(label)
        if rkind not in ("song", "album"):
            continue
        links = list(getattr(en, "item_links", []) or [])
        for i, item in enumerate(getattr(en, "items", []) or []):
            for title, _ in record_rows(item, None):
                out.append((clean(m.group(1)), rkind, title, links[i] if i < len(links) else "",
                            record_types(label) if rkind == "album" else frozenset()))
    return out


def _same_record(g: EntityGraph, names: dict[str, list[int]], rkind: str, title: str, link: str,
                 years: tuple | None, owner_by: str) -> bool:
    """A listed record is a crawled entity when its row links that page, or a crawled page of its kind
    has its title (or alias) and does not say it is another artist's or another year's record."""
    return _crawled_record(g, names, rkind, title, link, years, owner_by) is not None


def _crawled_record(g: EntityGraph, names: dict[str, list[int]], rkind: str, title: str, link: str,
                    years: tuple | None, owner_by: str) -> int | None:
    """The crawled entity a listed record is (see :func:`_same_record`), or None. A row that links a page is that
    page's record only when the page does not say it is another artist's or another year's: Ray Charles's
    discography row "Cry" (1965) links the song's page, whose infobox is Johnnie Ray's 1951 single (strict audit
    round 11: Ray Charles's single was no rival of "a single … 1965–1967, title C")."""
    j = g.by_key.get(url_key(link)) if link else None
    linked = [j] if j is not None and g.entities[j].kind == rkind else []
    for h in [*linked, *names.get(norm(title), ())]:
        e = g.entities[h]
        if e.kind != rkind or e.open_record:
            continue
        if e.by and owner_by and e.by != owner_by and not _credit_includes(e, owner_by):
            continue  # "I Can't Stop Loving You" by Don Gibson: another recording
        rel = e.attrs.get("released")
        if years and rel and isinstance(rel.value, tuple) and not any(
                abs(V.year_bounds(a)[0] - V.year_bounds(b)[0]) <= 1 for a in rel.value for b in years):
            continue  # "Ray Charles" (1958, Coronet) is not the 1957 studio album of that name
        return h
    return None


def _file_under(e: Entity, types: frozenset) -> None:
    """A list's or box's heading that files a crawled album under a sort its own type row does not give (Ray
    Charles's box: "Studio albums › The Genius Sings the Blues", a "Compilation album" by its own page): the
    pages disagree, so either sort is possible (strict audit round 9)."""
    if e.types and types and not types <= e.types:
        e.types = e.types | types


_JOINT = re.compile(r",|&|/|\b(?:and|with|ft|feat|featuring)\b", re.I)


def _credit_includes(e: Entity, owner_by: str) -> bool:
    """A crawled record whose Type row credits several artists, the list's owner among them ("Studio album by Ray
    Charles, Milt Jackson" is the "Soul Brothers" of Ray Charles's box; Betty Carter's list names "Ray Charles and
    Betty Carter")."""
    a = e.attrs.get("credited")
    return a is not None and bool(_JOINT.search(str(a.value))) and f" {owner_by} " in f" {e.by} "


_NAME_JOINERS = {"and", "the", "&", "of", "de", "la", "van", "von", "y"}
_NOT_AN_ARTIST = re.compile(r"\b(?:singles?|songs?|albums?|discography|symbols?|awards?|anthems?|list|music|"
                            r"navigation|templates?|films?|works)\b", re.I)


def _artist_like(name: str) -> bool:
    """A navigation box's owner that reads as an artist's name ("Johnny Cash", "Tommy James and the Shondells"),
    not a topic ("National symbols of the United States", "James Brown singles"): only then is a listed record
    taken to be by it."""
    words = name.split()
    return 1 <= len(words) <= 6 and not _NOT_AN_ARTIST.search(name) and all(
        w[:1].isupper() or w[:1].isdigit() or w.lower() in _NAME_JOINERS for w in words)


def _add_open_record(g: EntityGraph, kind: str, name: str, noun: str, url: str, site: str, by: str,
                     years: tuple | None, row: str, owner: int | None, sole: bool = False,
                     name_open: bool = False, owner_name: str = "", types: frozenset = frozenset()) -> None:
    """One open candidate; its ``by`` relation is closed (the owner only) when ``sole``: the owner's
    own list credits nobody else on the row."""
    attrs = {}
    if years:
        attrs["released"] = Attr("date", tuple(years), "Released", row, row)
    idx = len(g.entities)
    g.entities.append(Entity(idx=idx, url=url, name=name, title=name, kind=kind, noun=noun, site=site, attrs=attrs,
                             by=by, open_record=True, name_open=name_open, owner_name=owner_name, types=types,
                             unresolved=frozenset() if sole and owner is not None else frozenset({"by"})))
    g.by_kind[kind].append(idx)
    if owner is not None:
        g.members_out[idx].append(("by", owner))
        g.members_in[owner].append(("by", idx))


def _merge_rows(e: Entity, years: tuple | None, shared: bool, types: frozenset, *, box: bool = False) -> None:
    """Another row naming an open record already listed (same kind, title and owner): it may be another record of
    that title ("Come Rain or Come Shine", singles of 1960 and of 1968), so the record keeps every year a row
    states (a list row that states none leaves its year open; an artist's navigation box, which names one of the
    records its lists give years for, does not), a row crediting someone else too opens its credit, and every sort
    a heading names is possible."""
    old = e.attrs.get("released")
    if old is not None and years:
        merged = (*old.value, *(y for y in years if y not in old.value))
        e.attrs["released"] = Attr("date", merged, "Released", old.raw, old.snippet)
    elif old is not None and not box:
        del e.attrs["released"]  # a row with no year: this record may be of any year
    if shared:
        e.unresolved = e.unresolved | {"by"}
    if e.types and types:
        e.types = e.types | types
    elif e.types and not types:
        e.types = frozenset()  # a heading that names no sort: any sort


def _people_named(g: EntityGraph, names: dict[str, list[int]], name: str) -> list[int]:
    """The crawled people or groups whose normalised name is ``name`` (an owner, a credit, a box's artist)."""
    return [h for h in names.get(name, ()) if g.entities[h].kind in _PERSONS_KINDS] if name else []


def _add_chronology_records(g: EntityGraph, names: dict[str, list[int]], seen: dict[tuple[str, str, str], int]) -> None:
    """The records a crawled record's chronology row names that no crawled page is about ("Previous single: Losing
    Hand" on I Got a Woman, 1954): rivals of the artist's record questions (strict audit round 10: "a single
    released 1954–58 with a title beginning with L" was Lonely Avenue and Losing Hand). Known by title, kind and
    artist; a previous record came out in or before the entity's year, a next one in or after it."""
    for idx, rel, line in g.chronology_named:
        ent = g.entities[idx]
        key_text, _, title = line.partition(": ")
        title = strip_quotes(clean(title))
        if not title or not re.search(r"\w", title) or not ent.by:
            continue
        rkind = "song" if re.search(r"single|song", key_text, re.I) else "album" if re.search(r"album", key_text, re.I) \
            else ent.kind
        if rkind not in ("song", "album") or _same_record(g, names, rkind, title, "", None, ent.by):
            continue
        rel_attr = ent.attrs.get("released")
        years = None
        if rel_attr is not None and isinstance(rel_attr.value, tuple) and rel_attr.value:
            bounds = [V.year_bounds(y) for y in rel_attr.value]
            years = ((V.YearSpan(1800, max(b for _, b in bounds)),) if rel == "previous"
                     else (V.YearSpan(min(a for a, _ in bounds), 2100),))
        key = (rkind, norm(title), ent.by)
        if key in seen:
            continue  # a list or box names it already (with its year, when it gives one)
        seen[key] = len(g.entities)
        hits = _people_named(g, names, ent.by)
        _add_open_record(g, rkind, title, "single" if rkind == "song" else rkind, ent.url, ent.site, ent.by, years,
                         clip_line(line), hits[0] if len(hits) == 1 else None, sole=True,
                         owner_name="" if hits else ent.by)


def _add_open_records(g: EntityGraph, names: dict[str, list[int]],
                      pending: list[tuple[list, list, list, list]]) -> None:
    """Append the records pages list or second infoboxes describe that no crawled page is about."""
    seen: dict[tuple[str, str, str], int] = {}
    for ent, (records, boxes, _, _) in zip(list(g.entities), pending, strict=False):
        if records:
            owner = ent.idx if ent.kind in _PERSONS_KINDS else None
            if owner is None:  # "Ray Charles discography": the person or group of that name
                base = " ".join(w for w in norm(ent.name).split() if w != "discography")
                hits = _people_named(g, names, base)
                owner = hits[0] if len(hits) == 1 else None
            owner_by = norm(g.entities[owner].name) if owner is not None else ""
            for rkind, title, link, years, row, shared, types in records:
                j = _crawled_record(g, names, rkind, title, link, years, owner_by)
                if j is not None:
                    _file_under(g.entities[j], types)
                    continue
                key = (rkind, norm(title), owner_by)
                if key in seen:
                    _merge_rows(g.entities[seen[key]], years, shared, types)
                    continue
                seen[key] = len(g.entities)
                quoted = bool(_ALL_QUOTED.search(row))
                _add_open_record(g, rkind, title, "single" if rkind == "song" else rkind, ent.url, ent.site,
                                 owner_by, years, row, owner, sole=not shared,
                                 name_open=not quoted and bool(_RUN_ON.search(title)), types=types)
        for line, by, released in boxes:
            what, _ = _type_line(line)
            rkind = _record_kind(what)
            if not rkind or (ent.kind == rkind and ent.by == norm(by)):
                continue  # the page's own infobox
            key = (rkind, norm(ent.name), norm(by))
            if key in seen:  # a discography row of the same record, or another recording of that title
                _merge_rows(g.entities[seen[key]], V.parse_years(released) or None, False,
                            record_types(what) if rkind == "album" else frozenset())
                continue
            seen[key] = len(g.entities)
            hits = _people_named(g, names, norm(by))
            _add_open_record(g, rkind, ent.name, what if len(what.split()) <= 3 else rkind, ent.url, ent.site, norm(by),
                             V.parse_years(released), clip_line(f"{line}; Released: {released}"),
                             hits[0] if len(hits) == 1 else None,
                             owner_name="" if hits else clean(by),  # "Single by The Everly Brothers": theirs
                             types=record_types(what) if rkind == "album" else frozenset())

    for ent, (_, _, navs, _) in zip(list(g.entities), pending, strict=False):  # after rows and infoboxes: they say more
        for owner_name, rkind, title, link, types in navs:  # an artist's navigation box: the artist's records
            hits = _people_named(g, names, norm(owner_name))
            owner_by = norm(owner_name)
            j = _crawled_record(g, names, rkind, title, link, None, owner_by)
            if j is not None:
                _file_under(g.entities[j], types)
                continue
            key = (rkind, norm(title), owner_by)
            if key in seen:
                _merge_rows(g.entities[seen[key]], None, False, types, box=True)
                continue
            seen[key] = len(g.entities)
            # a box's label is the record's title ("(Ghost) Riders in the Sky": which word a cue means is unsure);
            # the artist's own box: "by" is that artist when the crawl holds it, else open
            _add_open_record(g, rkind, title, "single" if rkind == "song" else rkind, ent.url, ent.site, owner_by,
                             None, title, hits[0] if len(hits) == 1 else None, sole=True,
                             name_open=title.lstrip().startswith(("(", "[")),
                             owner_name="" if hits or not _artist_like(owner_name) else owner_name, types=types)

    for ent, (*_, works) in zip(list(g.entities), pending, strict=False):  # works a navigation box names
        # (synth.graph.navfilms: "Films directed by Glenn Gordon Caron: Wilder Napalm (1993)", "Grammy Award for Album
        # of the Year: A Man and His Music – Frank Sinatra (1967)"): rivals of every question of their kind, known by
        # their title, year and (an award's) artist only, open-world on everything else
        for rkind, title, years, row, artist in works:
            by = norm(artist)
            if _same_record(g, names, rkind, title, "", years, by):
                continue
            key = (rkind, norm(title), by)
            if key in seen:
                _merge_rows(g.entities[seen[key]], years, True, frozenset())
                continue
            seen[key] = len(g.entities)
            hits = _people_named(g, names, by)
            _add_open_record(g, rkind, title, "single" if rkind == "song" else rkind, ent.url, ent.site, by, years,
                             row, hits[0] if len(hits) == 1 else None, sole=bool(by),
                             owner_name="" if hits or not by else artist)
    _add_chronology_records(g, names, seen)


GENRE_WORDS = frozenset({"jazz", "blues", "soul", "gospel", "country", "rock", "pop", "funk", "folk", "rhythm and blues",
                         "rock and roll", "hip hop", "classical", "disco", "reggae", "swing", "bebop", "hard bop",
                         "big band", "doo wop", "jump blues", "easy listening", "latin", "bossa nova", "orchestral",
                         "instrumental", "r b", "rockabilly", "electronic", "dance", "punk", "metal"})


def _prose_genres(g: EntityGraph, leads: list[str]) -> None:
    """Genre words each page's lead names, from every genre an infobox of the crawl gives plus common ones."""
    vocab = set(GENRE_WORDS)
    for e in g.entities:
        a = e.attrs.get("genre")
        if a is not None and isinstance(a.value, tuple):
            vocab.update(x for x in a.value if isinstance(x, str))
    vocab = {v for v in vocab if v}
    for e, lead in zip(g.entities, leads, strict=False):
        if not lead:
            continue
        text = f" {norm(lead)} ".replace(f" {norm(e.name)} ", " , ") if norm(e.name) else f" {norm(lead)} "
        found = {V.GENRE_SYNONYMS.get(v, v) for v in vocab if f" {v} " in text}
        if found:
            e.prose_genres = frozenset(found)
