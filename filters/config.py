"""Settings of the filter stage (validity filters, MinHash dedup, closed-book screen). Plain values."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Shingle = Literal["wchar3", "wchar4", "wchar5", "word", "word3", "char4", "char5"]


class FilterConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # question / answer form
    min_question_chars: int = Field(20, ge=1)
    max_question_chars: int = Field(400, ge=1)
    max_answer_chars: int = Field(200, ge=1)
    # language: None = the question must be in the language of the record's page (QARecord.language)
    language: str | None = None
    language_min_prob: float = Field(0.05, ge=0.0, le=1.0, description="keep if p(expected) >= this ...")
    language_top_k: int = Field(3, ge=1, description="... or the expected language is among the top k")
    # extra patterns (Python regexes, case-insensitive) on top of the built-in lists
    injection_patterns: list[str] = Field(default_factory=list)
    boilerplate_patterns: list[str] = Field(default_factory=list)
    context_phrases: list[str] = Field(default_factory=list, description="extra non-standalone phrases")
    disabled: list[str] = Field(default_factory=list, description="filter names to leave out of the chain")

    # MinHash dedup
    dedup_threshold: float = Field(0.8, gt=0.0, lt=1.0, description="Jaccard of question shingles")
    dedup_num_perm: int = Field(128, ge=16, le=1024)
    dedup_seed: int = 1
    shingle: Shingle = Field(
        "wchar3",
        description="wchar<k>: character k-grams inside each word (order-free, catch typos and "
        "inflections); word: single words; word3: word 3-grams; char<k>: k-grams over the text",
    )
    dedup_min_recall: float = Field(
        0.98, gt=0.0, lt=1.0,
        description="LSH bands are chosen so that a pair exactly at the threshold is a candidate with at "
        "least this probability (fewest false candidates among such settings); candidates are then "
        "verified with exact Jaccard, so a false candidate costs time, never a wrong drop",
    )
    dedup_guard: bool = Field(
        True,
        description="similar wordings that differ in a number, an ordinal, a key word (who/when/where, "
        "before/after, not ...), a named entity, a content word, or in how often a word repeats are "
        "distinct questions, however high their Jaccard (see filters/dedup.py)",
    )
    dedup_on_conflict: Literal["drop_both", "keep_first"] = Field(
        "drop_both",
        description="same question, different answer: drop both (the wording does not fix the answer) "
        "or keep the first by id; the later one is always dropped as 'answer_conflict'",
    )
    dedup_redis_prefix: str = "crawlqa:dedup"

    # one-search gate (filters/shortcut.py): answers in the top ``shortcut_top`` results of the
    # question's own search are dropped, or only tagged (``shortcut_rank``) with keep_easy
    keep_easy: bool = False
    shortcut_top: int = Field(3, ge=0, le=10)

    # closed-book screen
    closed_book: Literal["off", "mark", "drop"] = "off"
    closed_book_samples: int = Field(1, ge=1, le=16)
    closed_book_easy_at: float = Field(0.5, gt=0.0, le=1.0, description="solve rate that makes a question easy")
    closed_book_batch: int = Field(64, ge=1)

    @model_validator(mode="after")
    def _check(self) -> FilterConfig:
        if self.min_question_chars > self.max_question_chars:
            raise ValueError("min_question_chars must be <= max_question_chars")
        return self
