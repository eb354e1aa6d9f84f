from __future__ import annotations

import asyncio

from vivace.server.timers import Deadline


def test_touch_pushes_the_deadline_back() -> None:
    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        fired: asyncio.Future[float] = loop.create_future()
        deadline = Deadline(loop, 0.2, lambda: fired.set_result(loop.time()))
        start = loop.time()
        deadline.start()
        await asyncio.sleep(0.1)
        deadline.touch()
        deadline.start()  # already running: keeps the pushed-back deadline
        return await asyncio.wait_for(fired, 1) - start

    assert 0.28 < asyncio.run(scenario()) < 0.5


def test_stop_cancels() -> None:
    async def scenario() -> bool:
        loop = asyncio.get_running_loop()
        fired: list[bool] = []
        deadline = Deadline(loop, 0.05, lambda: fired.append(True))
        deadline.start()
        deadline.stop()
        await asyncio.sleep(0.1)
        return bool(fired) or deadline.running

    assert asyncio.run(scenario()) is False
