"""Interpreter exit, signals and fork with a processor, in real subprocesses."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time

from conftest import run_python


def test_exit_without_flush_delivers_everything(tmp_path):
    out = tmp_path / "delivered.txt"
    run_python(f"""
        import threading, cpp_event_processor
        count = [0]
        lock = threading.Lock()
        def sink(batch):  # two dispatcher threads: count and write under a lock
            with lock:
                count[0] += len(batch)
                with open({str(out)!r}, "w") as f:
                    f.write(str(count[0]))
        p = cpp_event_processor.EventStreamProcessor(65536, 2, 700, 60000)  # the last 600 wait for exit
        p.set_flush_callback(sink)
        accepted = sum(p.push_event("m", str(i), "c", 0) for i in range(30000))
        assert accepted == 30000, accepted
        # no flush_now: leaving the interpreter must deliver everything
    """)
    assert out.read_text() == "30000"


def test_exit_with_dispatchers_idle_is_prompt():
    started = time.time()
    run_python("""
        import engagehub_native
        p = engagehub_native.EventStreamProcessor(num_threads=4, on_flush=lambda b: None)
        p.push("m", "u", "c")
    """)
    assert time.time() - started < 15


def test_exit_without_callback_logs_undelivered_and_does_not_hang():
    started = time.time()
    proc = run_python("""
        import logging, engagehub_native
        logging.basicConfig()
        p = engagehub_native.EventStreamProcessor()
        p.push_many([("m", "u", "c")] * 10)
    """)
    assert time.time() - started < 15
    assert "10 events undelivered" in proc.stderr


def test_ctrl_c_interrupts_a_flush_waiting_on_a_slow_callback():
    code = textwrap.dedent("""
        import sys, time, engagehub_native
        p = engagehub_native.EventStreamProcessor(batch_size=1, on_flush=lambda b: time.sleep(60),
                                                  exit_timeout=0.5)
        p.push("m", "u", "c")
        print("flushing", flush=True)
        try:
            p.flush()
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            import os; os._exit(0)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(__file__))
    try:
        assert proc.stdout.readline().strip() == "flushing"
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout.read().strip() == "interrupted"
    finally:
        proc.kill()
        proc.stdout.close()


def test_sigterm_handled_as_exit_delivers_pending(tmp_path):
    out = tmp_path / "n.txt"
    code = textwrap.dedent(f"""
        import signal, sys, time, cpp_event_processor
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
        n = [0]
        def sink(batch):
            n[0] += len(batch)
            open({str(out)!r}, "w").write(str(n[0]))
        p = cpp_event_processor.EventStreamProcessor(8192, 1, 100000, 600000)
        p.set_flush_callback(sink)
        for i in range(5000):
            p.push_event("m", str(i), "c", 0)
        print("ready", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(__file__))
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()
        proc.stdout.close()
    assert out.read_text() == "5000"


def test_processor_from_before_fork_raises_in_child():
    out = run_python("""
        import os, engagehub_native
        p = engagehub_native.EventStreamProcessor(on_flush=lambda b: None)
        p.push("m", "u", "c")
        p.flush()
        pid = os.fork()
        if pid == 0:
            try:
                p.push("m", "u", "c")
                os._exit(3)
            except engagehub_native.ForkedProcessError as exc:
                os._exit(0 if "fork" in str(exc) else 4)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        assert p.push("m", "u2", "c")
        p.flush()
        print(p.stats().delivered)
    """, timeout=60)
    assert out.stdout.strip() == "2"


def test_reads_in_a_forked_child_raise_with_events_still_staged():
    # Staged events are drained before every read: in a forked child that
    # drain must raise, never call into the parent's engine.
    out = run_python("""
        import os, engagehub_native
        p = engagehub_native.EventStreamProcessor(flush_interval=60)  # no callback: kept staged
        for i in range(10):
            p.push("m", f"u{i}", "c")
        pid = os.fork()
        if pid == 0:
            reads = [p.stats, p.flush, p.unique_users, p.top_channels,
                     lambda: p.push_many([("m", "u", "c")])]
            for read in reads:
                try:
                    read()
                    os._exit(3)
                except engagehub_native.ForkedProcessError:
                    pass
            os._exit(0 if p._pipeline.staging.count == 10 else 5)  # none offered
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), p.stats().accepted)
    """, timeout=60)
    assert out.stdout.split() == ["0", "10"]


def test_fork_child_exit_with_live_processor_does_not_hang():
    out = run_python("""
        import os, sys, engagehub_native
        p = engagehub_native.EventStreamProcessor(on_flush=lambda b: None)
        p.push("m", "u", "c")
        pid = os.fork()
        if pid == 0:
            sys.exit(0)   # runs atexit in the child: must not touch the parent's runtime
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
    """, timeout=60)
    assert out.stdout.strip() == "0"


def test_fresh_child_process_can_use_its_own_processor():
    out = run_python("""
        import os, engagehub_native
        pid = os.fork()
        if pid == 0:
            got = []
            with engagehub_native.EventStreamProcessor(on_flush=got.extend) as p:
                p.push("m", "u", "c")
            os._exit(0 if len(got) == 1 else 5)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
    """, timeout=60)
    assert out.stdout.strip() == "0"


def test_pushes_from_an_earlier_atexit_hook_are_delivered(tmp_path):
    # atexit runs hooks last-registered first: this hook, registered before
    # the package was imported, runs after the package's own exit hook has
    # closed the processor.
    out = tmp_path / "count"
    run_python(f"""
        import atexit
        holder = {{}}

        @atexit.register
        def late_pushes():
            for i in range(100):
                assert holder["p"].push("m", f"late{{i}}", "c")

        import engagehub_native
        got = []

        def save(batch):
            got.extend(batch)
            with open({str(out)!r}, "w") as f:
                f.write(str(len(got)))

        holder["p"] = engagehub_native.EventStreamProcessor(on_flush=save)
        holder["p"].push("m", "early", "c")
    """)
    assert out.read_text() == "101"


def test_exit_timeout_log_says_how_many_events_are_lost():
    proc = run_python("""
        import logging, time, engagehub_native
        logging.basicConfig()
        p = engagehub_native.EventStreamProcessor(
            batch_size=10, on_flush=lambda b: time.sleep(0.2), exit_timeout=0.5)
        for i in range(1000):
            p.push("m", f"u{i}", "c")
    """, timeout=60)
    assert "nothing was lost" not in proc.stderr
    lost = re.search(r"at exit, (\d+) events were not delivered within exit_timeout", proc.stderr)
    assert lost, proc.stderr
    assert 0 < int(lost.group(1)) <= 1000
