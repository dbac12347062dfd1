"""A discord.py bot runs one asyncio loop: pushing never blocks it, and
flushing and closing can be awaited while the loop keeps running."""

from __future__ import annotations

import asyncio
import time

import engagehub_native

from conftest import T0


def test_aflush_and_aclose_keep_the_loop_running():
    delivered = []

    def slow_sink(batch):
        time.sleep(0.05)  # a database that takes its time
        delivered.extend(batch)

    async def main():
        ticks = 0

        async def heartbeat():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        beat = asyncio.create_task(heartbeat())
        async with engagehub_native.EventStreamProcessor(on_flush=slow_sink, batch_size=10,
                                                         flush_interval=0.01) as p:
            for i in range(100):
                assert p.push("message", f"u{i}", "c", T0)  # no await: never blocks
            started = time.monotonic()
            await p.aflush(timeout=30)
            waited = time.monotonic() - started
            assert len(delivered) == 100
            assert waited >= 0.3, "ten slow batches were awaited"
            assert ticks >= waited / 0.01 / 4, "the loop ran meanwhile"
            p.push("message", "last", "c", T0)
        assert p.closed and delivered[-1]["user_id"] == "last"
        beat.cancel()

    asyncio.run(main())


def test_aflush_timeout_raises_inside_the_loop():
    release = []

    def stuck(batch):
        while not release:
            time.sleep(0.01)

    async def main():
        p = engagehub_native.EventStreamProcessor(on_flush=stuck, batch_size=1, flush_interval=0.001)
        p.push("m", "u", "c", T0)
        try:
            await p.aflush(timeout=0.2)
        except engagehub_native.WaitTimeoutError:
            release.append(True)
            await p.aclose(timeout=10)
            return "timed out"
        return "flushed"

    assert asyncio.run(main()) == "timed out"
