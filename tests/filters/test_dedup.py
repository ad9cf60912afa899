"""MinHash dedup within a run: known near-duplicates at several thresholds, the guard, answers, order."""

from __future__ import annotations

import random

import pytest

from filters.config import FilterConfig
from filters.dedup import (
    MinHashDeduper,
    choose_bands,
    detect_probability,
    jaccard,
    relation,
    shingles,
)
from filters.text import norm_text
from pipelines.counters import Counters
from tests.filters.conftest import qa

LONG = "How many studio albums did Ray Charles release with Atlantic Records between 1952 and 1959?"
SHORT = "Which record label did Ray Charles sign with in 1952?"

# (name, original, variant, thresholds at which the variant is dropped as a near-duplicate)
NEAR_DUPS = [
    ("case_punctuation", LONG, "how many studio albums did ray charles release with atlantic records between 1952 and 1959",
     {0.7, 0.8, 0.9}),
    ("typo", LONG, "How many studio albums did Ray Charles relase with Atlantic Records between 1952 and 1959?",
     {0.7, 0.8, 0.9}),
    ("typo_in_entity", LONG, "How many studio albums did Ray Charls release with Atlantic Records between 1952 and 1959?",
     {0.7, 0.8, 0.9}),
    ("inflection_and_function_word", LONG,
     "How many studio albums has Ray Charles released with Atlantic Records between 1952 and 1959?", {0.7, 0.8}),
    ("inserted_words", LONG,
     "How many studio albums in total did Ray Charles release with Atlantic Records between 1952 and 1959?",
     {0.7, 0.8, 0.9}),
    ("moved_clause", LONG, "Between 1952 and 1959, how many studio albums did Ray Charles release with Atlantic Records?",
     {0.7, 0.8, 0.9}),
    ("swapped_words", LONG, "How many albums studio did Ray Charles release with Atlantic Records between 1952 and 1959?",
     {0.7, 0.8, 0.9}),
    ("short_typo", SHORT, "Which record lable did Ray Charles sign with in 1952?", {0.7, 0.8}),
    ("short_moved_clause", SHORT, "In 1952, which record label did Ray Charles sign with?", {0.7, 0.8, 0.9}),
    ("short_two_function_words", SHORT, "Which record label has Ray Charles signed with in 1952?", {0.7}),
]

# similar wording, different question: never dropped, whatever the threshold
DISTINCT = [
    ("other_entity", LONG, "How many studio albums did B.B. King release with Atlantic Records between 1952 and 1959?"),
    ("other_year", LONG, "How many studio albums did Ray Charles release with Atlantic Records between 1952 and 1961?"),
    ("other_ordinal", "Which was the second studio album Ray Charles recorded for Atlantic Records?",
     "Which was the third studio album Ray Charles recorded for Atlantic Records?"),
    ("short_other_entity", SHORT, "Which record label did B.B. King sign with in 1952?"),
]


def run(records, cfg=None, **kw):
    counters, rejects = Counters(), []
    with MinHashDeduper(cfg or FilterConfig(), **kw) as dd:
        kept = list(dd.run(records, counters, rejects.append))
    return kept, rejects, counters


def pair(q1, q2, a1="7", a2="7", **kw):
    return qa("single_hop", question=q1, answer=a1, **kw), qa("single_hop", question=q2, answer=a2, **kw)


@pytest.mark.parametrize("threshold", [0.7, 0.8, 0.9])
@pytest.mark.parametrize(("name", "original", "variant", "caught_at"), NEAR_DUPS, ids=[c[0] for c in NEAR_DUPS])
def test_near_duplicates_at_thresholds(threshold, name, original, variant, caught_at):
    a, b = pair(original, variant)
    kept, rejects, counters = run([a, b], FilterConfig(dedup_threshold=threshold))
    j = jaccard(shingles(original, "wchar3"), shingles(variant, "wchar3"))
    assert (j >= threshold) == (threshold in caught_at), f"J={j:.3f}"  # the table matches the shingles
    if threshold in caught_at:
        first, second = sorted([a, b], key=lambda r: r.id)
        assert [r.id for r in kept] == [first.id]
        assert [(r.stage, r.reason, r.record_id, r.dup_of) for r in rejects] == [
            ("dedup", "near_duplicate", second.id, first.id)]
        assert counters.get("dedup/dropped/near_duplicate") == 1
    else:
        assert len(kept) == 2 and rejects == []


@pytest.mark.parametrize("threshold", [0.7, 0.8, 0.9])
@pytest.mark.parametrize(("name", "q1", "q2"), DISTINCT, ids=[c[0] for c in DISTINCT])
def test_distinct_questions_survive_at_every_threshold(threshold, name, q1, q2):
    kept, rejects, _ = run(list(pair(q1, q2)), FilterConfig(dedup_threshold=threshold))
    assert len(kept) == 2 and rejects == []


def test_the_guard_is_what_keeps_templated_siblings_apart():
    a, b = pair(SHORT, "Which record label did B.B. King sign with in 1952?")
    assert jaccard(shingles(a.question), shingles(b.question)) >= 0.6
    kept, rejects, counters = run([a, b], FilterConfig(dedup_threshold=0.6))
    assert len(kept) == 2 and counters.get("dedup/guard_distinct") == 1
    kept, rejects, _ = run([a, b], FilterConfig(dedup_threshold=0.6, dedup_guard=False))
    assert len(kept) == 1 and rejects[0].reason == "near_duplicate"


def test_word_trigrams_miss_small_edits_that_the_default_catches():
    for _, original, variant, caught_at in NEAR_DUPS:
        if 0.8 in caught_at and norm_text(original) != norm_text(variant):
            assert jaccard(shingles(original, "word3"), shingles(variant, "word3")) < 0.8
            assert jaccard(shingles(original, "wchar3"), shingles(variant, "wchar3")) >= 0.8


def test_same_question_different_answer_drops_both_by_default():
    a, b = pair(SHORT, SHORT.lower(), a1="Atlantic Records", a2="Swing Time Records")
    kept, rejects, counters = run([a, b])
    assert kept == []
    first, second = sorted([a, b], key=lambda r: r.id)
    assert sorted((r.record_id, r.reason, r.dup_of) for r in rejects) == sorted(
        [(second.id, "answer_conflict", first.id), (first.id, "answer_conflict", second.id)])
    assert counters.get("dedup/dropped/answer_conflict") == 2


def test_same_question_different_answer_keep_first():
    a, b = pair(SHORT, SHORT + " ", a1="Atlantic Records", a2="Swing Time Records")
    kept, rejects, _ = run([a, b], FilterConfig(dedup_on_conflict="keep_first"))
    first, second = sorted([a, b], key=lambda r: r.id)
    assert [r.id for r in kept] == [first.id]
    assert [(r.record_id, r.reason, r.dup_of) for r in rejects] == [(second.id, "answer_conflict", first.id)]


def test_answers_compared_modulo_formatting():
    a, b = pair(SHORT, SHORT.upper(), a1="The Atlantic Records", a2="atlantic records.")
    kept, rejects, _ = run([a, b])
    assert len(kept) == 1 and rejects[0].reason == "near_duplicate"


def test_a_different_content_word_makes_a_different_question_whatever_the_answers():
    q1 = "How many studio albums did Ray Charles release with Atlantic Records between 1952 and 1959?"
    q2 = "How many live albums did Ray Charles release with Atlantic Records between 1952 and 1959?"
    assert jaccard(shingles(q1), shingles(q2)) >= 0.8
    assert relation(q1, "7", q2, "2")[0] == "distinct"
    assert relation(q1, "7", q2, "7")[0] == "distinct"
    kept, _, _ = run(list(pair(q1, q2)))
    assert len(kept) == 2


@pytest.mark.parametrize(("q1", "q2"), [
    # seen on the Ray Charles corpus: same words, different question
    ('Where was David "Fathead" Newman born?', 'When was David "Fathead" Newman born?'),
    ("Which single did Ray Charles release just before the single “It Should've Been Me” by Ray Charles?",
     "Which single did Ray Charles release just after the single “It Should've Been Me” by Ray Charles?"),
    ("When was the album that Ray Charles released just after the album that includes the single “I Can't Stop "
     "Loving You” by Ray Charles released?",
     "When was the album that Ray Charles released just after the album that Ray Charles released just after the "
     "album that includes the single “I Can't Stop Loving You” by Ray Charles released?"),
])
def test_key_words_and_nesting_make_different_questions(q1, q2):
    assert relation(q1, "x", q2, "y")[0] == "distinct"
    assert relation(q1, "x", q2, "x")[0] == "distinct"


def test_key_word_spellings_are_the_same_question():
    assert relation("What label did Ray Charles join after 1952?", "x",
                    "Which label did Ray Charles join following 1952?", "x")[0] == "duplicate"


def test_kept_record_is_first_by_id_whatever_the_input_order():
    recs = [qa("single_hop", question=v, answer="7") for _, o, v, c in NEAR_DUPS if o == LONG and 0.9 in c]
    recs.append(qa("single_hop", question=LONG, answer="7"))
    expected = min(r.id for r in recs)
    for seed in range(3):
        shuffled = recs[:]
        random.Random(seed).shuffle(shuffled)
        kept, rejects, _ = run(shuffled)
        assert [r.id for r in kept] == [expected]
        assert {r.dup_of for r in rejects} == {expected}
        assert [r.record_id for r in rejects] == sorted(r.record_id for r in rejects)


def test_same_record_twice_is_dropped_once():
    a = qa("single_hop", question=SHORT)
    kept, rejects, counters = run([a, a])
    assert [r.id for r in kept] == [a.id]
    assert (rejects[0].reason, rejects[0].dup_of) == ("near_duplicate", a.id)
    assert counters.get("dedup/total") == 2 and counters.get("dedup/kept") == 1


def test_counters_and_seeded_signatures_are_deterministic():
    recs = [qa("single_hop", question=v, answer="7") for _, _, v, _ in NEAR_DUPS]
    _, r1, c1 = run(recs)
    _, r2, c2 = run(list(reversed(recs)))
    assert c1.to_dict() == c2.to_dict()
    assert [r.model_dump() for r in r1] == [r.model_dump() for r in r2]
    assert c1.get("dedup/total") == len(recs) == c1.get("dedup/kept") + sum(
        v for k, v in c1.to_dict().items() if k.startswith("dedup/dropped/"))


def test_second_run_call_dedups_against_the_first():
    a, b = pair(LONG, LONG.lower())
    counters = Counters()
    with MinHashDeduper(FilterConfig()) as dd:
        k1 = list(dd.run([a], counters))
        k2 = list(dd.run([b], counters))
    assert len(k1) == 1 and k2 == []


@pytest.mark.parametrize("t", [0.5, 0.7, 0.8, 0.9])
def test_bands_reach_the_recall_target_at_the_threshold(t):
    b, r = choose_bands(t, 128, 0.98)
    assert b * r <= 128 and detect_probability(t, b, r) >= 0.98


def test_config_validation():
    with pytest.raises(ValueError):
        FilterConfig(dedup_threshold=1.2)
    with pytest.raises(ValueError):
        FilterConfig(min_question_chars=500, max_question_chars=100)
    with pytest.raises(ValueError):
        FilterConfig(shingle="bytes7")


@pytest.mark.parametrize(("q1", "q2", "rel"), [
    ("Which record label did Ray Charles sign with in 1952?", "Whihc record label did Ray Charles sign with in 1952?",
     "duplicate"),                                              # misspelt capitalised first word
    ("How many titles of Mali reached the top ten in 1917?", "How many titles of Bali reached the top ten in 1917?",
     "distinct"),                                               # short names one letter apart: other names
    ("How many albums did Austria chart in 1990?", "How many albums did Australia chart in 1990?", "distinct"),
    ("Which of Crepe Zuwe's books also appears among the books of Maszura?",
     "Which of Crepe Zuwe's books also appears among the boos of Maszura?", "duplicate"),  # typo next to a copy
])
def test_spelling_variants(q1, q2, rel):
    assert relation(q1, "x", q2, "x")[0] == rel


def test_one_edit():
    from filters.text import one_edit

    assert one_edit("charles", "charls") and one_edit("charles", "chalres") and one_edit("abc", "abd")
    assert not one_edit("austria", "australia") and not one_edit("abc", "cab")
