from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.quality import markdown_table, measure, names_page, skeleton, type_counts


def test_skeleton_masks_names_numbers_and_titles() -> None:
    a = skeleton("How many studio albums did Ray Charles release before 1960?")
    b = skeleton("How many studio albums did Milt Jackson release before 1962?")
    assert a == b == "how many studio albums did X"
    assert skeleton("In which year was the “Genius + Soul = Jazz” album released?") == "in which year was the X"
    assert skeleton("What 3 things") == "what # things"
    assert skeleton("Which paper") != skeleton("Which album")


def test_names_page_matches_whole_folded_words() -> None:
    assert names_page("Who produced Modern Sounds in Country and Western Music?",
                      ["Modern Sounds in Country and Western Music"])
    assert names_page("Where was Beyoncé born?", ["Beyonce"])
    assert not names_page("Who is Raymond?", ["Ray"])  # not a word of the question
    assert not names_page("Who?", ["", "a"])


@pytest.mark.slow
def test_measure_on_the_demo_run(demo_run: Path) -> None:
    result = measure(demo_run)
    counts = type_counts(demo_run)
    assert {t: q.kept for t, q in result.items() if t != "all"} == dict(counts)
    assert result["all"].kept == sum(counts.values())
    for q in result.values():
        assert 0 <= q.names_answer_page <= 1 and 0 < q.skeletons_per_question <= 1 and q.mean_words > 3
        assert q.shortcut_measured == q.kept and q.shortcut_top3 is not None and 0 <= q.shortcut_top3 <= 1
    table = markdown_table(result, {"count": "99% (95% CI 97–100%)"})
    assert len(table) == 2 + len(result) and table[-1].startswith("| all |")
    assert "99% (95% CI" in next(line for line in table if line.startswith("| count |"))
