"""Settings of the mining stage (plain values; ``crawlqa/config.py`` is the only reader of the env)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_MINERS: tuple[str, ...] = ("count", "multi_hop", "intersection", "single_hop", "comparison", "proposal",
                                   "obfuscated")


class SynthConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    miners: list[str] = Field(default_factory=lambda: list(DEFAULT_MINERS),
                              description="registered miner names (synth.miners.MINERS)")
    max_candidates_per_page: int = Field(20, ge=1, description="cap per primary page, over all miners but obfuscated (obfuscated_max_per_page)")
    seed: int = Field(0, description="tie-break of the deterministic sampling (paths, facts)")
    languages: list[str] = Field(default_factory=lambda: ["en"],
                                 description="page languages to mine ('' counts as en; [] = every language). The "
                                             "offline templates are English; with a model the default is []")

    # COUNT
    min_count: int = Field(2, ge=1)
    max_count: int = Field(50, ge=1)
    max_label_chars: int = Field(80, ge=1)

    # MULTI-HOP
    min_hops: int = Field(2, ge=2, description="pages the question needs, start page included")
    max_hops: int = Field(4, ge=2)
    max_item_hops: int = Field(2, ge=0, description="hops described by a list position (n-th entry), per chain")
    max_ordinal: int = Field(20, ge=1, description="furthest list position used to describe a link")
    max_paths_per_target: int = Field(2, ge=1, description="chains kept per (target page, length)")
    max_paths_per_start: int = Field(12, ge=1, description="chains kept per start page")

    # INTERSECTION
    min_shared: int = Field(1, ge=1)
    max_shared: int = Field(5, ge=1)
    max_pairs_per_label: int = Field(40, ge=1)

    # COMPARISON (multi-source: one fact from each of two pages under two roots)
    max_comparisons: int = Field(60, ge=0, description="comparison candidates per run (0 = none)")
    max_comparisons_per_page: int = Field(2, ge=1, description="comparisons a page takes part in, per compared family (dates, population...)")
    max_comparisons_per_family: int = Field(20, ge=1, description="per compared attribute (dates, population...)")
    comparison_cross_root: bool = Field(True, description="pair only pages reached from different roots")

    # PROPOSAL (LLM free-form page-pair questions; the offline template writer cannot propose)
    max_proposals: int = Field(0, ge=0, description="page pairs (= LLM proposal calls) per run; 0 = none")
    proposal_text_chars: int = Field(3000, ge=200, description="page text budget per page in a proposal prompt")
    min_proposal_text_chars: int = Field(300, ge=1, description="pages with less extracted text are not proposed")

    # OBFUSCATED (entity subgraphs, synth/graph; issue 17)
    obfuscated_per_target: int = Field(8, ge=0, description="unique subgraphs kept per target entity")
    obfuscated_tries: int = Field(120, ge=1, description="seeded random walks per target entity")
    obfuscated_min_constraints: int = Field(4, ge=2, description="constraints a question keeps at least")
    obfuscated_max_constraints: int = Field(7, ge=2, description="constraints a walk adds at most")
    obfuscated_max_per_shape: int = Field(8, ge=1, description="candidates per subgraph shape, run-wide")
    obfuscated_max_per_page: int = Field(16, ge=0, description="obfuscated candidates per target page: a budget of "
                                         "their own, not shared with the other miners' max_candidates_per_page")
    obfuscated_attr_answers: bool = Field(True, description="also ask one attribute of the target (producer...)")
    obfuscated_shared_values: bool = Field(True, description="a shared value as a relation to another page ('born in "
                                           "the same decade as ...') for entities without a typed relation")
    obfuscated_links: bool = Field(False, description="plain hyperlinks as relations (unique only among crawled pages)")

    # SINGLE-HOP / answers
    max_answer_chars: int = Field(80, ge=1)
    max_answer_words: int = Field(10, ge=1)
    max_facts_per_page: int = Field(4, ge=1)

    @model_validator(mode="after")
    def _check(self) -> SynthConfig:
        if self.min_count > self.max_count:
            raise ValueError("min_count must be <= max_count")
        if self.min_hops > self.max_hops:
            raise ValueError("min_hops must be <= max_hops")
        if self.min_shared > self.max_shared:
            raise ValueError("min_shared must be <= max_shared")
        return self
