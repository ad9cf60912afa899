"""Adaptive concurrency (AIMD) and the token budget, both as asyncio gates.

``AdaptiveLimiter``: at most ``limit`` calls in flight; ``limit`` starts at the configured concurrency
(the cap), is halved on HTTP 429 (once per "epoch": the 429s of calls that were already in flight when
the limit dropped do not halve it again) and grows by one after ``limit`` consecutive successes, up to
the cap. A 429 also pauses *new* calls for the server's ``Retry-After`` (or an exponential backoff when
the server gives none); calls already in flight finish.

``TokenBudget``: before a call, reserve its worst case (estimated prompt tokens + max_tokens); the
reservation is released when the call's real usage is in the ledger. A call whose reservation would
pass the budget waits for in-flight calls to settle, and is refused ("budget exhausted") once the
tokens really spent leave no room for it. So the budget is never passed unless a prompt-size
estimate is low (they are conservative: UTF-8 bytes / 3).

Both live on one event loop (the client's own loop thread); should another loop start using them,
the loop-bound state (waiters, in-flight count) is reset rather than shared.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass


def parse_retry_after(headers: Mapping[str, str] | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, ``retry-after`` (seconds or an HTTP date), or None."""
    if not headers:
        return None
    for name, div in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        v = headers.get(name)
        if v is None:
            continue
        try:
            x = float(v) / div
        except ValueError:
            if name == "retry-after":
                try:
                    ts = email.utils.parsedate_to_datetime(v).timestamp()
                except (TypeError, ValueError, IndexError, OverflowError):
                    return None
                return max(0.0, ts - (time.time() if now is None else now))
            continue
        if math.isfinite(x) and x >= 0:
            return x
    return None


class _Waiters:
    """FIFO of futures bound to the running loop; reset when another loop shows up."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._q: deque[asyncio.Future[None]] = deque()

    def check_loop(self) -> bool:
        """True if the running loop changed (callers reset their loop-bound state)."""
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            return False
        self._loop = loop
        self._q.clear()
        return True

    async def wait(self) -> None:
        assert self._loop is not None
        fut: asyncio.Future[None] = self._loop.create_future()
        self._q.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.wake(1)  # pass the wake-up on
            raise

    def wake(self, n: int | None = None) -> None:
        woken = 0
        while self._q and (n is None or woken < n):
            fut = self._q.popleft()
            if not fut.done():
                fut.set_result(None)
                woken += 1


@dataclass
class Slot:
    """One acquired place in the limiter; tell it how the call went before leaving the block."""

    epoch: int
    outcome: str = "other"  # 'ok' | 'rate_limited' | 'other'
    retry_after: float | None = None

    def success(self) -> None:
        self.outcome = "ok"

    def rate_limited(self, retry_after: float | None) -> None:
        self.outcome = "rate_limited"
        self.retry_after = retry_after


class AdaptiveLimiter:
    """AIMD limit on calls in flight, with a pause on 429 (see the module docstring)."""

    def __init__(self, cap: int, *, min_limit: int = 1, max_pause: float = 60.0, base_backoff: float = 0.5,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if cap < 1:
            raise ValueError("concurrency cap must be >= 1")
        self.cap = cap
        self.min_limit = max(1, min(min_limit, cap))
        self.limit = cap
        self.in_flight = 0
        self.max_in_flight = 0
        self.max_pause = max_pause
        self.base_backoff = base_backoff
        self.decreases = 0
        self.increases = 0
        self.pauses = 0
        self._clock = clock
        self._epoch = 0
        self._successes = 0
        self._backoff_n = 0
        self._pause_until = 0.0
        self._waiters = _Waiters()

    @property
    def paused_for(self) -> float:
        return max(0.0, self._pause_until - self._clock())

    async def acquire(self) -> Slot:
        if self._waiters.check_loop():
            self.in_flight = 0
        while True:
            wait = self._pause_until - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            if self.in_flight < self.limit:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                return Slot(self._epoch)
            await self._waiters.wait()

    def release(self, slot: Slot) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        if slot.outcome == "ok":
            self._backoff_n = 0
            self._successes += 1
            if self._successes >= self.limit and self.limit < self.cap:
                self.limit += 1
                self.increases += 1
                self._successes = 0
        elif slot.outcome == "rate_limited":
            self._successes = 0
            if slot.epoch == self._epoch:
                self._epoch += 1
                if self.limit > self.min_limit:
                    self.limit = max(self.min_limit, self.limit // 2)
                    self.decreases += 1
            if slot.retry_after is not None:
                delay = slot.retry_after
            else:
                delay = self.base_backoff * (2 ** self._backoff_n) * (0.75 + 0.5 * random.random())
                self._backoff_n = min(self._backoff_n + 1, 16)
            delay = min(max(delay, 0.0), self.max_pause)
            until = self._clock() + delay
            if until > self._pause_until:
                self._pause_until = until
                self.pauses += 1
        self._waiters.wake(max(0, self.limit - self.in_flight))

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Slot]:
        s = await self.acquire()
        try:
            yield s
        finally:
            self.release(s)

    def stats(self) -> dict[str, int | float]:
        return {"cap": self.cap, "limit": self.limit, "max_in_flight": self.max_in_flight,
                "decreases": self.decreases, "increases": self.increases, "pauses": self.pauses}


class TokenBudget:
    """Reserve-before-call gate on the tokens spent (see the module docstring); ``limit=None`` = no budget."""

    def __init__(self, limit: int | None, spent: Callable[[], int]) -> None:
        self.limit = limit
        self._spent = spent
        self.reserved = 0
        self.refused = 0
        self._waiters = _Waiters()

    async def reserve(self, estimate: int) -> bool:
        if self.limit is None:
            return True
        if self._waiters.check_loop():
            self.reserved = 0
        while True:
            spent = self._spent()
            if spent + estimate > self.limit:
                self.refused += 1
                return False
            if spent + self.reserved + estimate <= self.limit:
                self.reserved += estimate
                return True
            await self._waiters.wait()

    def release(self, estimate: int) -> None:
        if self.limit is None:
            return
        self.reserved = max(0, self.reserved - estimate)
        self._waiters.wake()

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self._spent())
