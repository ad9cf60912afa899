"""Spotting the entities of a question that an E2H round can replace.

An entity is a span of the question that matches the subject (or an alias) of an indexed page,
longest match first and never overlapping the answer; when no indexed subject matches, capitalised
spans ("Albert Einstein", "Ulm") are candidates that a search must then confirm. Quotes around a
span (song and album titles) belong to it, so replacing it removes them too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from synth.search import STOPWORDS, fold

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
_OPEN_QUOTES = "\"“‘'«"
_CLOSE_QUOTES = "\"”’'»"


def _ws(text: str) -> tuple[str, ...]:
    return tuple(text.split())


QUESTION_WORDS = frozenset(_ws(
    "what who whom whose which when where why how in on at for from is was are were did does do name "
    "list give during by of to"))
CONNECTORS = frozenset(_ws("of the and on in for de du da von van der la le & a an at to"))

# nouns that name what an entity is; the first one in a description is its type ("city", "album")
TYPE_NOUNS: tuple[str, ...] = _ws("""
city town village municipality capital country state province region county district island river lake
mountain sea ocean continent neighbourhood neighborhood suburb port
singer musician songwriter saxophonist pianist guitarist bassist drummer trumpeter organist vocalist
composer arranger conductor bandleader producer rapper disc-jockey dj band group duo trio quartet ensemble
orchestra choir actor actress comedian director screenwriter writer author novelist poet journalist painter
sculptor artist architect photographer designer politician president king queen emperor prince princess
scientist physicist chemist biologist mathematician economist philosopher historian engineer inventor
astronomer linguist psychologist physician surgeon lawyer judge soldier general admiral officer pilot
astronaut explorer athlete player footballer cricketer boxer wrestler swimmer runner cyclist coach
entrepreneur businessman businesswoman executive founder professor teacher scholar researcher priest bishop
pope monk saint person man woman
studio album ep single song track compilation soundtrack record recording anthology musical opera symphony concerto
film movie documentary series show programme program episode sitcom book novel poem play magazine newspaper
journal game video-game software library framework language protocol algorithm paper
republic kingdom nation peninsula company corporation label firm brand organization organisation agency institute university college school
academy museum library team club party union association foundation charity church cathedral temple
mosque monastery castle palace tower bridge building stadium airport station railway road street highway
park garden festival award prize war battle treaty election species genus family disease element mineral
planet star galaxy ship aircraft car vehicle weapon instrument genre style movement
""")
_TYPE_SET = frozenset(TYPE_NOUNS)


@dataclass(frozen=True)
class EntitySpan:
    """A replaceable span of a question: ``text`` as written, ``start:end`` (quotes included)."""

    text: str
    start: int
    end: int
    urls: tuple[str, ...] = ()
    kind: str = "alias"  # alias (matches an indexed subject) | capitalised (to be confirmed by search)

    @property
    def length(self) -> int:
        return self.end - self.start


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """Folded word tokens with their character offsets in ``text``."""
    out = []
    for m in _TOKEN_RE.finditer(text):
        for part in fold(m.group()).split():
            out.append((part, m.start(), m.end()))
    return out


def occurs(needle: str, haystack: str) -> bool:
    """Whether ``needle`` occurs in ``haystack`` as whole words after folding."""
    n, h = fold(needle), fold(haystack)
    return bool(n) and re.search(rf"(?<!\w){re.escape(n)}(?!\w)", h) is not None


def answer_spans(question: str, answer: str) -> list[tuple[int, int]]:
    """Character ranges of the answer's occurrences in the question (folded, whole words)."""
    toks = _tokens(question)
    a = fold(answer).split()
    if not a:
        return []
    out = []
    for i in range(len(toks) - len(a) + 1):
        if [t[0] for t in toks[i:i + len(a)]] == a:
            out.append((toks[i][1], toks[i + len(a) - 1][2]))
    return out


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _with_quotes(text: str, start: int, end: int) -> tuple[int, int]:
    if start > 0 and end < len(text) and text[start - 1] in _OPEN_QUOTES and text[end] in _CLOSE_QUOTES:
        return start - 1, end + 1
    return start, end


def _looks_named(text: str, start: int, span_text: str) -> bool:
    """A span names something: it starts with a capital or a digit, or is quoted."""
    ch = span_text[:1]
    quoted = start > 0 and text[start - 1] in _OPEN_QUOTES
    return quoted or ch.isupper() or ch.isdigit()


def find_entities(question: str, answer: str, aliases: dict[str, list[str]], *,
                  max_tokens: int | None = None) -> list[EntitySpan]:
    """Indexed-subject spans of ``question`` (longest first, non-overlapping, not the answer)."""
    toks = _tokens(question)
    if max_tokens is None:
        max_tokens = max((a.count(" ") + 1 for a in aliases), default=1)
    blocked = answer_spans(question, answer)
    quotes = quoted_regions(question)
    fa = fold(answer)
    found: list[EntitySpan] = []
    for i in range(len(toks)):
        keys = []  # the keys starting at token i, growing one token at a time
        key = ""
        for n in range(1, min(max_tokens, len(toks) - i) + 1):
            key = f"{key} {toks[i + n - 1][0]}" if key else toks[i][0]
            keys.append(key)
        for n in range(len(keys), 0, -1):
            key = keys[n - 1]
            urls = aliases.get(key)
            if not urls or key in STOPWORDS or key in QUESTION_WORDS or key == fa:
                continue
            s, e = toks[i][1], toks[i + n - 1][2]
            if question[s:e].count("(") > question[s:e].count(")") and question[e:e + 1] == ")":
                e += 1  # 'Side by Side (1927 song)': the closing parenthesis belongs to the name
            while question[e:e + 1] == "!":
                e += 1  # 'Yes Indeed!' : a title's own exclamation marks belong to it
            surface = question[s:e]
            if not _looks_named(question, s, surface) or _inside_longer_name(question, s, e, quotes):
                continue
            if any(_overlaps((s, e), b) for b in blocked):
                continue
            qs, qe = _with_quotes(question, s, e)
            found.append(EntitySpan(surface, qs, qe, tuple(urls), "alias"))
            break
    return _non_overlapping(found)


def quoted_regions(text: str) -> list[tuple[int, int]]:
    """Inner ranges of quoted strings ("...", “...”, «...»)."""
    return [(m.start() + 1, m.end() - 1) for m in re.finditer(r"\"[^\"]+\"|“[^”]+”|«[^»]+»", text)]


def _inside_longer_name(text: str, s: int, e: int, quotes: list[tuple[int, int]]) -> bool:
    """A span that is only part of a longer name: 'Lincoln' in 'Lincoln Laboratory', 'Earth' in
    'Near-Earth', 'Ray Charles' inside the quoted title “Ray Charles in Person”."""
    for qs, qe in quotes:
        if qs <= s and e <= qe and (qs, qe) != (s, e):
            return True
    if s > 0 and (text[s - 1].isalnum() or text[s - 1] in "-–"):
        return True
    if e < len(text) and (text[e].isalnum() or (text[e] in "-–" and e + 1 < len(text) and text[e + 1].isalnum())):
        return True
    prev = re.search(r"([\w'’.-]+)\s+$", text[:s])
    if prev and prev.start() > 0 and prev.group(1)[:1].isupper() and prev.group(1).lower() not in QUESTION_WORDS:
        return True
    nxt = re.match(r"\s+([\w'’.-]+)", text[e:])
    return bool(nxt and (nxt.group(1)[:1].isupper() or nxt.group(1)[:1].isdigit())
                and nxt.group(1).lower() not in CONNECTORS)


def capitalised_spans(question: str, answer: str, taken: list[EntitySpan] | None = None) -> list[EntitySpan]:
    """Capitalised word runs ('Albert Einstein', 'University of Ulm'): candidates without an alias."""
    words = [(m.group(), m.start(), m.end()) for m in re.finditer(r"[\w'’.&-]+", question)]
    blocked = answer_spans(question, answer) + [(t.start, t.end) for t in (taken or [])]
    runs: list[list[tuple[str, int, int]]] = []
    cur: list[tuple[str, int, int]] = []
    for idx, (w, s, e) in enumerate(words):
        w_clean = w.strip("'’.-")
        is_cap = bool(w_clean) and (w_clean[0].isupper() or w_clean[0].isdigit())
        if idx == 0 and w_clean.lower() in QUESTION_WORDS:
            is_cap = False
        if is_cap:
            cur.append((w_clean, s, s + len(w.rstrip("'’.-"))))
        elif cur and w.lower() in CONNECTORS:
            cur.append((w, s, e))
        else:
            if cur:
                runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    out = []
    for run in runs:
        while run and run[-1][0].lower() in CONNECTORS:
            run = run[:-1]
        if not run:
            continue
        s, e = run[0][1], run[-1][2]
        text = question[s:e]
        if fold(text) in STOPWORDS or fold(text) in QUESTION_WORDS or fold(text) == fold(answer):
            continue
        if any(_overlaps((s, e), b) for b in blocked):
            continue
        qs, qe = _with_quotes(question, s, e)
        out.append(EntitySpan(text, qs, qe, (), "capitalised"))
    return _non_overlapping(out)


def _non_overlapping(spans: list[EntitySpan]) -> list[EntitySpan]:
    chosen: list[EntitySpan] = []
    for sp in sorted(spans, key=lambda x: (-x.length, x.start)):
        if not any(_overlaps((sp.start, sp.end), (c.start, c.end)) for c in chosen):
            chosen.append(sp)
    return chosen


_CHUNK_END = frozenset(_ws(
    "in of by from for with at on near known who whose which that located based founded released born "
    "where when and or but to as since"))
_IRREGULAR_PARTICIPLES = frozenset(_ws("written known sung made given taken shown drawn grown sold held built led "
                                       "run won begun born set put cut hit sent spent kept"))
# heads that say what a phrase is *of*, not what the entity is ('the title of a 1951 song')
_RELATIONAL_HEADS = frozenset(_ws("title name term version part member one kind sort form subject "
                                  "first second third last best most"))


def type_noun(text: str) -> str:
    """What a description says its entity is: 'a coastal city in Norvania' -> 'city'; '' if unknown.

    The head of the first noun phrase (the last word before a preposition, relative or comma) when
    it is a known type noun; else the first known type noun of that phrase; else its head when that
    is a plain lower-case word; else the first known type noun anywhere. In a compound ('record
    label', 'film director') the last noun is the type.
    """
    toks = re.findall(r"[A-Za-z][A-Za-z&-]*|[,;:()]", text)
    chunk: list[str] = []
    stop = ""
    for i, t in enumerate(toks):
        lt = t.lower()
        if t in ",;:()" or (lt in _CHUNK_END and i > 0 and lt not in ("and",)):
            stop = t
            break
        if lt == "and" and chunk and chunk[-1].lower() in _TYPE_SET:
            break
        if lt.endswith("ing") and chunk and chunk[-1].lower() in _TYPE_SET and lt not in _TYPE_SET:
            break  # 'a 2004 American musical biographical film focusing on …': the phrase ends at 'film'
        if i > 1 and (lt.endswith("ed") or lt in _IRREGULAR_PARTICIPLES) and len(chunk) > 1 and lt not in _TYPE_SET:
            stop = t  # 'a 1980 American musical comedy film directed by ...': the phrase ends at 'directed'
            break
        chunk.append(t)
    words_ = [w for w in chunk if w.lower() not in ("a", "an", "the")]
    if words_:
        head = words_[-1]
        if head.lower() in _TYPE_SET:
            return head.lower()
        plain_head = head.isalpha() and head.islower() and len(head) > 3 and \
            not head.endswith(("ed", "ing", "ly")) and head not in _RELATIONAL_HEADS
        if plain_head and stop not in (",", ";", ":"):  # 'a 1950 country standard': 'standard', not 'country'
            return head
        for j, w in enumerate(words_):
            nxt = words_[j + 1].lower() if j + 1 < len(words_) else ""
            if w.lower() in _TYPE_SET and nxt not in _TYPE_SET:
                return w.lower()  # 'a song originally recorded by the group X' -> 'song'
        for w in (t.lower() for t in toks[len(chunk):len(chunk) + 8]):
            if w in _TYPE_SET:  # 'the title of a 1951 popular song' -> 'song'; 'a bluesy, proto-soul single'
                return w
        if plain_head:
            return head
    for i, t in enumerate(toks):
        lw = t.lower()
        if lw in _TYPE_SET and not (i + 1 < len(toks) and toks[i + 1].lower() in _TYPE_SET):
            return lw
    return ""
