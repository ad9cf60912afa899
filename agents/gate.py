"""The agent gates of the filter stage: the one-search gate and the golden-path replay.

    with AgentGates(run, cfg.filters, counters, rows_per_shard=...) as gates:
        chain = FilterChain(build_filters(cfg.filters, links=links) + gates.filters, counters, rej.write)

``gates.filters`` is ``[ShortcutFilter, ReplayFilter]`` over the run's env (either left out by
``FilterConfig.disabled``); the replay's reference trajectories go to ``RUN/trajectories/`` (shards
``part-00000``…; the solve stage's rollouts use ``part-50000``…). A run without pages (and no pinned
E2HQA corpus) has no env: the gates are off, counted as ``filter/agents/no_pages``, with a warning.
"""

from __future__ import annotations

import logging
from pathlib import Path

from agents.env import BrowseEnv
from agents.replay import ReplayFilter, Trajectory
from filters.base import Filter
from filters.shortcut import ShortcutFilter
from pipelines.counters import Counters
from pipelines.shards import ShardWriter, remove_shards

log = logging.getLogger("crawlqa")

TRAJECTORIES = "trajectories"
REFERENCE_BLOCK = (0, 50_000)
ROLLOUT_BLOCK = (50_000, 100_000)


class AgentGates:
    def __init__(self, run, cfg, counters: Counters, *, rows_per_shard: int = 50_000) -> None:
        self.run = run
        self.cfg = cfg
        self.counters = counters
        self.rows_per_shard = rows_per_shard
        self.env: BrowseEnv | None = None
        self.writer: ShardWriter | None = None
        self.filters: list[Filter] = []

    def __enter__(self) -> AgentGates:
        folder: Path = self.run.sub(TRAJECTORIES)
        remove_shards(folder, *REFERENCE_BLOCK)
        try:
            self.env = BrowseEnv(self.run.path)
        except FileNotFoundError as exc:
            log.warning("agent gates off: %s", exc)
            self.counters.inc("filter/agents/no_pages")
            return self
        shortcut = ShortcutFilter.for_index(self.cfg, self.env.index, self.counters)
        if shortcut is not None:
            self.filters.append(shortcut)
        if ReplayFilter.name not in self.cfg.disabled:
            self.writer = ShardWriter(folder, Trajectory, rows_per_shard=self.rows_per_shard,
                                      start_index=REFERENCE_BLOCK[0], relative_to=self.run.path)
            self.filters.append(ReplayFilter(self.env, self.writer.write))
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.writer is not None:
                if exc_type is None:
                    self.writer.close()
                else:
                    self.writer.abort()
        finally:
            if self.env is not None:
                self.env.close()

    @property
    def shards(self) -> list:
        return self.writer.shards if self.writer is not None else []
