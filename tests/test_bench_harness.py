"""The benchmark harness's timing loop: it makes each call exactly as given,
keywords included (the figures in docs/benchmarks.md rest on it)."""

from __future__ import annotations

import subprocess
import sys

from engagehub_native.bench import per_call_ns, server_cpu_seconds


def test_calls_are_made_with_the_arguments_and_keywords_given():
    calls = []

    def record(*args, **kwargs):
        calls.append((args, kwargs))

    args = [("a", 1), ("b", 2), ("c", 3)]
    samples = per_call_ns(record, args, warmup=1, keywords={"style": "dense", "window": None})
    assert calls == [(("a", 1), {"style": "dense", "window": None})] + [
        (a, {"style": "dense", "window": None}) for a in args]
    assert len(samples) == 3 and samples == sorted(samples) and all(s > 0 for s in samples)


def test_calls_without_arguments_or_keywords():
    calls = []
    samples = per_call_ns(lambda: calls.append(1), [()] * 5)
    assert calls == [1] * 5 and len(samples) == 5
    calls.clear()
    per_call_ns(lambda *a: calls.append(a), [(1, 2, 3)] * 2)
    assert calls == [(1, 2, 3)] * 2


def test_the_server_cpu_is_that_of_the_processes_named_postgres(tmp_path):
    # A process named postgres (a script's name is its process name) that
    # burns 0.3 s of CPU, then waits: the sink section's server CPU counts it
    # while it runs and drops by as much once it has gone (measured that way
    # round, a real server's processes can only make the drop larger).
    busy = tmp_path / "postgres"
    busy.write_text(f"#!{sys.executable}\n"
                    "import sys, time\n"
                    "end = time.process_time() + 0.3\n"
                    "while time.process_time() < end:\n"
                    "    pass\n"
                    "print('busy', flush=True)\n"
                    "sys.stdin.read()\n")
    busy.chmod(0o755)
    proc = subprocess.Popen([str(busy)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "busy\n"
        running = server_cpu_seconds()
    finally:
        proc.communicate("")
    gone = server_cpu_seconds() or 0.0
    assert running is not None and running - gone >= 0.25
