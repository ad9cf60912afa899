"""Units of the LLM layer without a server: AIMD limiter, Retry-After, tolerant parse, strict schema,
ledger, prompt loading."""

from __future__ import annotations

import asyncio
import email.utils
import time

import pytest
from pydantic import BaseModel

from synth.llm.ledger import TokenLedger, parse_failure_rates
from synth.llm.parse import json_schema_of, loads_tolerant, parse_answer, response_format
from synth.llm.throttle import AdaptiveLimiter, parse_retry_after
from synth.prompts import load_prompt


class Q(BaseModel):
    question: str


class Inner(BaseModel):
    name: str
    score: float = 0.5


class Outer(BaseModel):
    items: list[Inner]
    note: str | None = None


# --- limiter ------------------------------------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_limiter_halves_once_per_burst_and_pauses():
    clock = FakeClock()
    lim = AdaptiveLimiter(8, clock=clock)

    async def main():
        slots = [await lim.acquire() for _ in range(8)]
        assert lim.in_flight == 8 and lim.max_in_flight == 8
        for s in slots:  # a burst: all eight in-flight calls come back 429
            s.rate_limited(2.0)
            lim.release(s)

    asyncio.run(main())
    assert lim.limit == 4 and lim.decreases == 1, "one burst, one halving"
    assert lim.paused_for == pytest.approx(2.0)


def test_limiter_second_burst_after_the_decrease_halves_again():
    lim = AdaptiveLimiter(8, clock=FakeClock())

    async def main():
        s1 = await lim.acquire()
        s1.rate_limited(0)
        lim.release(s1)
        s2 = await lim.acquire()  # started after the decrease: a new epoch
        s2.rate_limited(0)
        lim.release(s2)

    asyncio.run(main())
    assert lim.limit == 2 and lim.decreases == 2


def test_limiter_grows_by_one_per_window_of_successes_up_to_the_cap():
    lim = AdaptiveLimiter(4, clock=FakeClock())
    lim.limit = 2

    async def main():
        for _ in range(2 + 3 + 10):
            s = await lim.acquire()
            s.success()
            lim.release(s)

    asyncio.run(main())
    assert lim.limit == 4 and lim.increases == 2


def test_limiter_never_goes_below_the_minimum():
    lim = AdaptiveLimiter(2, clock=FakeClock())

    async def main():
        for _ in range(5):
            s = await lim.acquire()
            s.rate_limited(0)
            lim.release(s)

    asyncio.run(main())
    assert lim.limit == 1


def test_limiter_blocks_new_calls_during_a_pause():
    lim = AdaptiveLimiter(4, base_backoff=0.2)

    async def main():
        s = await lim.acquire()
        s.rate_limited(None)  # no Retry-After: exponential backoff from 0.2 s (with jitter)
        lim.release(s)
        t = time.monotonic()
        s = await lim.acquire()
        lim.release(s)
        return time.monotonic() - t

    waited = asyncio.run(main())
    assert 0.14 <= waited <= 1.0


def test_limiter_bounds_concurrency_of_many_tasks():
    lim = AdaptiveLimiter(3)
    peak = 0

    async def job():
        nonlocal peak
        async with lim.slot() as s:
            peak = max(peak, lim.in_flight)
            await asyncio.sleep(0.005)
            s.success()

    async def main():
        await asyncio.gather(*(job() for _ in range(30)))

    asyncio.run(main())
    assert peak == 3 and lim.in_flight == 0


def test_parse_retry_after_forms():
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "0.5"}) == 0.5
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    date = email.utils.formatdate(1_000_010, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=1_000_000) == pytest.approx(10)
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None and parse_retry_after(None) is None


# --- parse ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "value", "strict"), [
    ('{"question": "a?"}', {"question": "a?"}, True),
    ('```json\n{"question": "a?"}\n```', {"question": "a?"}, True),
    ('Here you go: {"question": "a?"} Thanks!', {"question": "a?"}, True),
    ('{"question": "a?",}', {"question": "a?"}, False),
    ("{question: 'a?'}", {"question": "a?"}, False),
    ('{"question": "cut', None, False),
    ("no json here", None, False),
])
def test_loads_tolerant(text, value, strict):
    v, s = loads_tolerant(text)
    assert v == value
    if value is not None:
        assert s is strict


@pytest.mark.parametrize(("text", "finish", "error"), [
    ('{"question": "a?"}', "stop", ""),
    ("", "stop", "empty"),
    ("   ", "length", "truncated"),
    ('{"question": "a', "length", "truncated"),
    ('{"question": 5}', "stop", "schema_violation"),
    ("[1, 2]", "stop", "parse_error"),
    ("As an AI language model, I cannot write that.", "stop", "refusal"),
])
def test_parse_answer_errors(text, finish, error):
    parsed, err, _ = parse_answer(text, Q, finish_reason=finish)
    assert err == error and (parsed is not None) == (error == "")


def test_strict_schema_closes_every_object_and_requires_every_field():
    schema = json_schema_of(Outer)
    assert schema["additionalProperties"] is False and set(schema["required"]) == {"items", "note"}
    inner = schema["$defs"]["Inner"]
    assert inner["additionalProperties"] is False and set(inner["required"]) == {"name", "score"}
    assert "default" not in str(schema)
    rf = response_format("json_schema", Outer)
    assert rf["json_schema"]["name"] == "Outer" and rf["json_schema"]["strict"] is True
    assert response_format("json_object", Outer) == {"type": "json_object"}
    assert response_format("text", Outer) is None
    json_schema_of(Outer)["mutated"] = True
    assert "mutated" not in json_schema_of(Outer), "callers get a fresh copy"


# --- ledger -----------------------------------------------------------------------------------------
def test_ledger_table_is_flat_and_mergeable():
    led = TokenLedger()
    led.add("write", requests=3, calls=2, cache_hits=1, ok=2)
    led.usage("write", 100, 20)
    led.answer("write", "m", "count.v1")
    led.answer("write", "m", "count.v1", "parse_error")
    led.failure("write", "parse_error")
    led.answer("e2h", "m", "e2h_describe.v1", "refusal")
    d = led.to_dict()
    assert d["write"]["prompt_tokens"] == 100 and d["write"]["failures"] == {"parse_error": 1}
    assert d["write"]["answers"] == {"m|count.v1": 2} and d["write"]["parse_failures"] == {"m|count.v1": 1}
    for row in d.values():  # numbers, or dicts of numbers: shard ledgers can be summed
        for v in row.values():
            assert isinstance(v, int) or all(isinstance(x, int) for x in v.values())
    assert led.total_tokens() == 120
    rates = parse_failure_rates(d)
    assert rates["m|count.v1"] == {"answers": 2, "failures": 1, "rate": 0.5}
    assert rates["m|e2h_describe.v1"]["rate"] == 1.0
    with pytest.raises(KeyError):
        led.add("write", bogus=1)


# --- prompts ----------------------------------------------------------------------------------------
def test_prompt_messages_substitute_only_the_data():
    p = load_prompt("count", "v1")
    msgs = p.messages(data='{"x": "$answer ${data}"}')
    assert msgs[1]["content"].count("$answer ${data}") == 1, "substituted values are not re-parsed"
    with pytest.raises(KeyError):
        p.messages()
    with pytest.raises(FileNotFoundError):
        load_prompt("count", "v999")
