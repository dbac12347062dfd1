"""The interactive interpreter, through a real pseudo-terminal: Ctrl-C stops
a blocking flush at once, help() and repr() say something useful, and
leaving never hangs."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import sys
import termios
import time

import pytest


def _own_terminal() -> None:
    """In the child: a session of its own whose controlling terminal is the
    pseudo-terminal, so that typing Ctrl-C sends it SIGINT as a shell would."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """python -i on a pseudo-terminal, read and written like a person would."""

    def __init__(self):
        self.master, slave = pty.openpty()
        env = {**os.environ, "PYTHONSTARTUP": "", "TERM": "dumb"}
        self.proc = subprocess.Popen([sys.executable, "-i", "-q"], stdin=slave, stdout=slave,
                                     stderr=slave, env=env, cwd=os.path.dirname(__file__),
                                     preexec_fn=_own_terminal)
        os.close(slave)
        self.seen = ""

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def expect(self, needle: str, timeout: float = 20) -> float:
        """Seconds until needle appears in the output."""
        started = time.monotonic()
        while needle not in self.seen:
            left = timeout - (time.monotonic() - started)
            if left <= 0:
                raise AssertionError(f"{needle!r} not seen in {timeout} s; output:\n{self.seen}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536).decode(errors="replace")
                except OSError:
                    break
        return time.monotonic() - started

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        os.close(self.master)


@pytest.fixture
def term():
    t = Terminal()
    yield t
    t.close()


def test_ctrl_c_stops_a_blocking_flush_now_at_once_and_exit_does_not_hang(term):
    term.send("import time, cpp_event_processor\n"
              "p = cpp_event_processor.EventStreamProcessor(1024, 1, 1, 1)\n"
              "p.exit_timeout\n")
    term.expect("10.0")
    term.send("p.set_flush_callback(lambda batch: time.sleep(3600))\n"
              "p.push_event('message', 'u1', 'c1', 0); p.push_event('message', 'u2', 'c1', 0)\n")
    term.expect("True")
    term.send("p.flush_now()\n")
    time.sleep(0.5)  # the flush is blocked on the sleeping callback
    sent = time.monotonic()
    term.send("\x03")
    term.expect("KeyboardInterrupt")
    assert time.monotonic() - sent < 0.5, "Ctrl-C is seen within a wait slice (100 ms)"
    term.send("p\n")
    term.expect("<EventStreamProcessor accepted=2")
    term.send("p._pipeline.exit_timeout = 1.0\n")  # the callback never returns
    started = time.monotonic()
    term.send("exit()\n")
    term.proc.wait(timeout=20)
    assert time.monotonic() - started < 10, "leaving waits exit_timeout at most"


def test_help_and_reprs_are_informative(term):
    term.send("import engagehub_native as en\n"
              "b = en.Leaderboard(0.9, 0); b.update('alice', 3.0); b\n")
    term.expect("<Leaderboard users=1 decay_factor=0.9 max_users=0>")
    term.send("b.top(1)\n")
    term.expect("RankedUser(user_id='alice', score=3.0, rank=1")
    term.send("help(en.EventStreamProcessor.push)\n")
    term.expect("Queue one event; never blocks")
    term.send("q\n")
    term.send("exit()\n")
    term.proc.wait(timeout=20)
