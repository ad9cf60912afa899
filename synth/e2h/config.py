"""Configuration of the E2HQA stage (easy-to-hard rewriting): plain values, no environment reads."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ClueKind = Literal["inverse_relation", "inverse_mention", "inverse_listing", "forward_relation", "obfuscated_fact", "lead_sentence",
                   "first_sentence", "fact", "web_snippet"]

DEFAULT_CLUE_ORDER: tuple[str, ...] = (
    "inverse_relation", "inverse_mention", "inverse_listing", "forward_relation", "obfuscated_fact", "lead_sentence", "first_sentence",
    "fact", "web_snippet",
)


class E2HConfig(BaseModel):
    """How many rounds, how long a question may grow, how hard a search must single an entity out.

    ``web_search`` plugs a user's search API: the dotted path of a class (``pkg.mod:Class`` or
    ``pkg.mod.Class``) built with ``web_search_options`` as keyword arguments and implementing
    :class:`synth.search.WebSearch` (``name`` and ``search(query, k) -> list[SearchHit]``). With
    ``web_search_mode='fallback'`` (default) the local index is asked first and the web API only when
    it finds nothing; ``'primary'`` asks the web API first. Unset (the default), only the local
    full-text index over the crawled pages serves: nothing ever leaves the machine.
    """

    model_config = ConfigDict(extra="forbid")

    rounds: int = Field(3, ge=1, le=10, description="rewriting rounds attempted per seed")
    max_question_chars: int = Field(400, ge=20, description="a rewritten question longer than this is 'too_long'")
    max_description_chars: int = Field(160, ge=10, description="longer clue descriptions are shortened or skipped")
    min_rounds_to_keep: int = Field(1, ge=1, description="a seed surviving fewer rounds yields no record")
    search_top_k: int = Field(5, ge=1, le=100, description="hits read per search")
    max_attempts_per_round: int = Field(
        12, ge=1, description="(entity, clue) pairs tried before a round fails (24 kept one more of the 55 Ray "
                              "Charles seeds of bench/seeds at >= 2 rounds but made the job's own chains shallower: "
                              "63% instead of 57% of its E2HQA questions named the answer's page)")
    restarts: int = Field(
        10, ge=0, le=20,
        description="a seed whose chain ends short of `rounds` hidden rounds is rewritten again from its seed "
                    "this many times, with another order among equally ranked clues; the outcome keeping the "
                    "most rounds that pass the one-search gate wins (0 = one pass; on the 55 Ray Charles "
                    "seeds of bench/seeds, 5 → 10 keeps one more seed at >= 2 rounds and 20 no more than 10)")
    year_hops: bool = Field(
        True, description="a bare year after 'in' may be replaced by 'the year the <record> was released' "
                          "(synth.e2h.years: only a record whose one release year every crawled page agrees on)")
    year_clues_per_round: int = Field(4, ge=1, description="records tried per year and round")
    max_entities_per_round: int = Field(4, ge=1, description="entity candidates tried per round")
    ambiguity_margin: float = Field(
        0.0, ge=0.0, lt=1.0,
        description="a text description is 'ambiguous' when another entity's bm25 score is within this "
                    "fraction of the top score (0 = only exact ties)")
    clue_order: list[ClueKind] = Field(default_factory=lambda: list(DEFAULT_CLUE_ORDER),
                                       description="preferred clue kinds, first = most preferred")
    prefer_chaining: bool = Field(
        True, description="before the last round, prefer clues that name another indexed entity "
                          "(so the next round has something to replace)")
    batch_size: int = Field(64, ge=1, description="seeds processed together (one LLM batch per step)")
    max_answer_chars: int = Field(200, ge=1, description="seed answers longer than this are bad seeds")
    web_search: str | None = Field(None, description="dotted path of a WebSearch class (none = offline)")
    web_search_options: dict[str, Any] = Field(default_factory=dict,
                                               description="keyword arguments for the web_search class")
    web_search_mode: Literal["fallback", "primary"] = "fallback"
    rebuild_index: bool = Field(False, description="rebuild the local search index even when it is current")
    one_search_gate: bool = Field(
        True, description="a rewrite whose own text, searched once in the local index, brings up a page "
                          "giving the answer away is 'answer_in_top3' (the filter stage's gate would drop it)")
    one_search_top: int = Field(3, ge=1, le=10, description="results the one-search check reads")
    ground_seeds: bool = Field(
        True, description="find the page and snippet stating each seed's answer before rewriting it; a seed "
                          "without one is rejected as 'seed_ungrounded' (no writer call is spent on it)")
    fetch_seed_urls: bool = Field(
        False, description="fetch (through the crawler, politely) the page of a seed whose url the corpus "
                           "does not hold, into this run, before grounding (off: nothing leaves the machine)")

    def public_dict(self) -> dict:
        """The config for manifests (web search options are the user's: keys are redacted there)."""
        return self.model_dump(mode="json")
