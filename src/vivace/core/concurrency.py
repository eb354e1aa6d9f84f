"""Running blocking code off the event loop, in a bounded thread pool."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_STOP = object()


class ThreadPool:
    """A bounded pool for ``def`` handlers; one per app, created on first use."""

    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self._executor: ThreadPoolExecutor | None = None

    @property
    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self.max_workers, thread_name_prefix="vivace-handler"
            )
        return self._executor

    async def run(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()
        call = functools.partial(ctx.run, func, *args, **kwargs)
        return await loop.run_in_executor(self.executor, call)

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


_default_pool = ThreadPool(max_workers=40)


async def run_in_threadpool(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``func`` in the shared default pool (for code outside an app)."""
    return await _default_pool.run(func, *args, **kwargs)


def _next(iterator: Any) -> Any:
    return next(iterator, _STOP)


async def iterate_in_threadpool(iterable: Iterable[T]) -> AsyncIterator[T]:
    iterator = iter(iterable)
    while True:
        item = await run_in_threadpool(_next, iterator)
        if item is _STOP:
            break
        yield item
