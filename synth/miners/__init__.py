"""Evidence miners: page graph → candidates. Adding a miner = one file + one line below."""

from __future__ import annotations

from synth.miners.base import Graph, MineContext, Miner, Node
from synth.miners.comparison import ComparisonMiner
from synth.miners.count import CountMiner
from synth.miners.intersection import IntersectionMiner
from synth.miners.multi_hop import MultiHopMiner
from synth.miners.obfuscated import ObfuscatedMiner
from synth.miners.proposal import ProposalMiner
from synth.miners.single_hop import SingleHopMiner

MINERS: dict[str, type] = {
    "count": CountMiner,
    "multi_hop": MultiHopMiner,
    "intersection": IntersectionMiner,
    "single_hop": SingleHopMiner,
    "comparison": ComparisonMiner,
    "proposal": ProposalMiner,
    "obfuscated": ObfuscatedMiner,
}

__all__ = ["MINERS", "Graph", "MineContext", "Miner", "Node"]
