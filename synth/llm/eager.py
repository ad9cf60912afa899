"""Send a request's body when the request is made, not one loop turn later (Python 3.11 + aiohttp).

aiohttp writes a request body in a task of its own. From Python 3.12 on it starts that task eagerly
(``eager_start=True``): a small body is on the socket before ``session.request`` waits for the answer.
On 3.11 the task is only scheduled, so it runs after every other callback that is ready. When the C
answers of a round arrive together, each of the C workers parses its answer and builds its next
request (~0.5 ms of openai-client CPU each) before the first of the C new bodies is written: every
request of the round waits for the whole round's CPU, the rounds stay in lockstep and each round costs
``latency + C × CPU per call`` (C=64: ~50 ms per 200 ms). Written eagerly, request i of a round leaves
after i calls' CPU, the answers come back spread out, the client keeps pace with them and a round
costs ``latency + CPU per call`` (bench/RESULTS-llm.md).

:func:`install` backports that one behaviour to the client's private event loop: a task factory that
runs the first step of aiohttp's ``ClientRequest.write_bytes`` coroutine at once (in the new task's
context, like ``eager_start``). A body that fits the socket buffer is then written completely and the
factory returns a finished future (the task factory contract allows any ``asyncio.Future``; aiohttp
drops a writer that is already done). A body that has to wait (a large body, a paused transport)
continues in a real task from where it stopped. Every other coroutine gets a plain ``asyncio.Task``.
Nothing is installed on Python >= 3.12 or without aiohttp.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Callable, Collection, Coroutine, Generator
from types import CodeType
from typing import Any

TaskFactory = Callable[..., "asyncio.Future[Any]"]


def aiohttp_writer_codes() -> frozenset[CodeType]:
    """The code object of aiohttp's request-body writer, or nothing if aiohttp is missing/changed."""
    try:
        from aiohttp.client_reqrep import ClientRequest
    except ImportError:
        return frozenset()
    code = getattr(getattr(ClientRequest, "write_bytes", None), "__code__", None)
    return frozenset({code}) if isinstance(code, CodeType) else frozenset()


def install(loop: asyncio.AbstractEventLoop) -> bool:
    """Start aiohttp's body writer eagerly on ``loop`` (Python < 3.12 only). True if installed."""
    if sys.version_info >= (3, 12):
        return False  # aiohttp itself starts the writer with eager_start=True
    codes = aiohttp_writer_codes()
    if not codes or loop.get_task_factory() is not None:
        return False
    loop.set_task_factory(eager_factory(codes))
    return True


def eager_factory(codes: Collection[CodeType]) -> TaskFactory:
    """A task factory that starts coroutines whose code is in ``codes`` eagerly (see the module doc)."""
    codes = frozenset(codes)

    def factory(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any],
                context: contextvars.Context | None = None) -> asyncio.Future[Any]:
        if getattr(coro, "cr_code", None) in codes:
            return _start_eagerly(loop, coro, context)
        return asyncio.Task(coro, loop=loop, context=context)

    return factory


def _start_eagerly(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any],
                   context: contextvars.Context | None) -> asyncio.Future[Any]:
    ctx = context if context is not None else contextvars.copy_context()
    try:
        waiting = ctx.run(coro.send, None)
    except StopIteration as stop:  # finished in one step: the usual case (the body is on the socket)
        done: asyncio.Future[Any] = loop.create_future()
        done.set_result(stop.value)
        return done
    except (KeyboardInterrupt, SystemExit):
        raise
    except asyncio.CancelledError:
        cancelled: asyncio.Future[Any] = loop.create_future()
        cancelled.cancel()
        return cancelled
    except BaseException as exc:  # held by the future, as a task would hold it
        failed: asyncio.Future[Any] = loop.create_future()
        failed.set_exception(exc)
        return failed
    return asyncio.Task(_finish(_Resume(coro, waiting)), loop=loop, context=ctx)


async def _finish(resume: _Resume) -> Any:
    return await resume


class _Resume:
    """Awaitable that continues a coroutine suspended on ``waiting`` (forwards results and throws)."""

    __slots__ = ("coro", "waiting")

    def __init__(self, coro: Coroutine[Any, Any, Any], waiting: Any) -> None:
        self.coro = coro
        self.waiting = waiting

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, waiting = self.coro, self.waiting
        while True:
            try:
                sent = yield waiting
            except BaseException as exc:  # cancellation (or anything) thrown in by the task
                try:
                    waiting = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    waiting = coro.send(sent)
                except StopIteration as stop:
                    return stop.value
