"""The LLM layer: an OpenAI-compatible client with bounded adaptive concurrency, a content-addressed
response cache, structured output with tolerant parsing, and a per-stage token ledger.

    from synth.llm import LLMConfig, LLMClient, LLMRequest, TokenLedger

    with LLMClient(LLMConfig(model="gpt-4o-mini", api_key=key, cache_path=path)) as client:
        results = client.complete_many([LLMRequest(messages, schema=MyOut, key="c1")], stage="write")
"""

from synth.llm.client import LLMClient, LLMRequest, LLMResult
from synth.llm.config import LLMConfig
from synth.llm.ledger import TokenLedger, parse_failure_rates

__all__ = ["LLMClient", "LLMConfig", "LLMRequest", "LLMResult", "TokenLedger", "parse_failure_rates"]
