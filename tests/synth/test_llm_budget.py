"""The token budget: checked before each call, never passed, cache hits are free, the rest of the
batch comes back as budget_exhausted results (no exception, no call)."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel

from synth.llm import LLMClient, LLMRequest, TokenLedger
from synth.llm.throttle import TokenBudget
from tests.llm_server import LLMTestServer, config_for, ok


@pytest.fixture
def srv():
    with LLMTestServer() as server:
        server.responder = lambda call: ok({"question": f"{call.user_text}?"})
        yield server


class Q(BaseModel):
    question: str


def reqs(n: int, start: int = 0) -> list[LLMRequest]:
    return [LLMRequest(messages=[{"role": "user", "content": f"item {i}"}], schema=Q, key=str(i))
            for i in range(start, start + n)]


def test_budget_stops_new_calls_and_is_never_passed(srv):
    with LLMClient(config_for(srv, token_budget=400, max_tokens=20, concurrency=4)) as client:
        results = client.complete_many(reqs(40), stage="write")
        spent = client.ledger.total_tokens()
    done = [r for r in results if r.ok]
    stopped = [r for r in results if r.error == "budget_exhausted"]
    assert done and stopped and len(done) + len(stopped) == 40
    assert spent <= 400
    assert len(srv.chat_calls) == len(done), "a refused request is never sent"
    assert "token budget 400" in stopped[0].detail
    assert client.ledger.stage("write")["failures"] == {"budget_exhausted": len(stopped)}


def test_budget_too_small_for_any_call(srv):
    with LLMClient(config_for(srv, token_budget=10, max_tokens=50)) as client:
        results = client.complete_many(reqs(3), stage="write")
    assert {r.error for r in results} == {"budget_exhausted"} and srv.chat_calls == []


def test_cache_hits_cost_nothing_and_bypass_the_budget(srv, tmp_path):
    path = tmp_path / "c.sqlite"
    with LLMClient(config_for(srv, path)) as client:
        client.complete_many(reqs(5), stage="write")
    n = len(srv.chat_calls)
    with LLMClient(config_for(srv, path, token_budget=0)) as client:
        results = client.complete_many(reqs(6), stage="write")
    assert [r.cached for r in results[:5]] == [True] * 5 and all(r.ok for r in results[:5])
    assert results[5].error == "budget_exhausted"
    assert len(srv.chat_calls) == n


def test_a_shared_ledger_shares_the_budget(srv):
    ledger = TokenLedger()
    with LLMClient(config_for(srv, max_tokens=20), ledger=ledger) as a:
        a.complete_many(reqs(10), stage="write")
    spent = ledger.total_tokens()
    with LLMClient(config_for(srv, max_tokens=20, token_budget=spent), ledger=ledger) as b:
        results = b.complete_many(reqs(3, start=100), stage="e2h")
    assert {r.error for r in results} == {"budget_exhausted"}
    assert set(ledger.to_dict()) == {"write", "e2h"}


def test_token_budget_gate_waits_for_in_flight_reservations():
    spent = {"n": 0}
    budget = TokenBudget(100, lambda: spent["n"])

    async def main():
        assert await budget.reserve(60)
        waiter = asyncio.ensure_future(budget.reserve(60))  # 60 + 60 > 100: waits for the first call
        await asyncio.sleep(0.01)
        assert not waiter.done()
        spent["n"] = 30  # the first call used only 30 tokens
        budget.release(60)
        assert await waiter  # 30 + 60 <= 100
        spent["n"] = 80
        budget.release(60)
        assert not await budget.reserve(60)  # 80 + 60 > 100: refused for good
        assert await budget.reserve(20)

    asyncio.run(main())
    assert budget.refused == 1 and budget.remaining == 20
    assert asyncio.run(TokenBudget(None, lambda: 10**9).reserve(10**9))
