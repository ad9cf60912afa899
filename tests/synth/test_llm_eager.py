"""Eager request-body writes (synth/llm/eager.py): the task factory itself, and its effect on the client."""

from __future__ import annotations

import asyncio
import contextvars
import sys
import time

import pytest
from pydantic import BaseModel

from synth.llm import LLMClient, LLMRequest
from synth.llm.eager import eager_factory, install
from tests.llm_server import LLMTestServer, config_for

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="outer")


class Q(BaseModel):
    question: str


async def _no_wait(log: list[str]) -> str:
    log.append("ran")
    return "done"


async def _waits(log: list[str], gate: asyncio.Future) -> str:
    log.append("first step")
    VAR.set("inner")
    try:
        value = await gate
    except asyncio.CancelledError:
        log.append("cancelled")
        raise
    log.append(f"resumed {value} {VAR.get()}")
    return f"got {value}"


async def _fails(log: list[str]) -> None:
    log.append("ran")
    raise ValueError("boom")


def _run(main):
    loop = asyncio.new_event_loop()
    try:
        loop.set_task_factory(eager_factory({_no_wait.__code__, _waits.__code__, _fails.__code__}))
        return loop.run_until_complete(main())
    finally:
        loop.close()


def test_a_coroutine_that_does_not_wait_runs_inside_create_task():
    async def main():
        log: list[str] = []
        fut = asyncio.get_running_loop().create_task(_no_wait(log))
        assert log == ["ran"] and fut.done()  # before this task yielded even once
        return await fut

    assert _run(main) == "done"


def test_a_coroutine_that_waits_runs_its_first_step_then_continues_as_a_task():
    async def main():
        loop = asyncio.get_running_loop()
        log: list[str] = []
        gate = loop.create_future()
        task = loop.create_task(_waits(log, gate))
        assert log == ["first step"] and not task.done()
        assert VAR.get() == "outer"  # the first step ran in the task's own context
        loop.call_soon(gate.set_result, 7)
        assert await task == "got 7"
        return log

    assert _run(main) == ["first step", "resumed 7 inner"]


def test_cancelling_the_continuation_reaches_the_coroutine():
    async def main():
        loop = asyncio.get_running_loop()
        log: list[str] = []
        task = loop.create_task(_waits(log, loop.create_future()))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return log

    assert _run(main) == ["first step", "cancelled"]


def test_an_exception_in_the_first_step_is_held_by_the_future():
    async def main():
        log: list[str] = []
        fut = asyncio.get_running_loop().create_task(_fails(log))
        assert log == ["ran"] and fut.done()
        with pytest.raises(ValueError, match="boom"):
            await fut

    _run(main)


def test_other_coroutines_get_a_plain_task():
    async def other(log):
        log.append("ran")

    async def main():
        log: list[str] = []
        task = asyncio.get_running_loop().create_task(other(log), name="plain")
        assert log == [] and isinstance(task, asyncio.Task) and task.get_name() == "plain"
        await task
        return log

    assert _run(main) == ["ran"]


def test_install_only_where_needed():
    loop = asyncio.new_event_loop()
    try:
        installed = install(loop)
        if sys.version_info >= (3, 12):
            assert not installed and loop.get_task_factory() is None
        else:
            assert installed and loop.get_task_factory() is not None
            assert not install(loop)  # never replaces a factory already there
    finally:
        loop.close()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="aiohttp starts its writer eagerly itself")
def test_client_installs_it_for_aiohttp_and_a_large_body_still_goes_out_whole():
    with LLMTestServer() as srv:
        text = "x" * 300_000  # far over aiohttp's 64 KiB write buffer: the writer has to wait and continue
        with LLMClient(config_for(srv, http_backend="aiohttp")) as client:
            res = client.complete_many([LLMRequest([{"role": "user", "content": text}], schema=Q, key="big")],
                                       stage="w")
            assert client.stats()["eager_writes"] is True
        assert res[0].ok and srv.chat_calls[0].user_text == text
    with LLMTestServer() as srv, LLMClient(config_for(srv, http_backend="httpx")) as client:
        client.complete_many([LLMRequest([{"role": "user", "content": "a"}], schema=Q)], stage="w")
        assert client.stats()["eager_writes"] is False


def test_a_request_leaves_when_it_is_made_not_after_the_whole_round():
    """Answers of a round arrive together; the client spends 25 ms on each. With eager writes request k
    of the next round reaches the server ~k x 25 ms later; with the writes deferred (Python 3.11
    without the factory) all of them would arrive after the whole round's 8 x 25 ms."""
    c, cost = 8, 0.025
    with LLMTestServer(latency=0.3) as srv:
        with LLMClient(config_for(srv, http_backend="aiohttp", concurrency=c)) as client:
            client.complete_many([LLMRequest([{"role": "user", "content": f"w{i}"}], schema=Q) for i in range(c)],
                                 stage="w")  # connections open
            settle = client._settle

            def slow_settle(*a, **k):
                time.sleep(cost)  # blocks the client's loop like CPU work would
                return settle(*a, **k)

            client._settle = slow_settle
            srv.reset()
            reqs = [LLMRequest([{"role": "user", "content": f"r{i}"}], schema=Q) for i in range(2 * c)]
            assert all(r.ok for r in client.complete_many(reqs, stage="w"))
        calls = sorted(srv.chat_calls, key=lambda x: x.started)
    first_answer = min(x.finished for x in calls[:c])
    offsets = [round((x.started - first_answer) * 1000) for x in calls[c:]]
    # eager: ~25, 50, 75 ... ms; deferred: the first ~25 ms, every other one after ~200 ms
    assert offsets[2] < 5.5 * cost * 1000, offsets
