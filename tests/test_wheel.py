"""The wheel installs and works on a machine without Go (a fresh venv, go off PATH)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(os.path.join(ROOT, "setup.py")) or not shutil.which("go"),
                    reason="needs the source tree and Go to build the wheel")
def test_wheel_installs_and_runs_without_go(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), ROOT],
                   check=True, timeout=600)
    (wheel,) = wheels.glob("engagehub_native-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # No Go, no compiler: only the venv and the system's basic tools.
    path = os.pathsep.join([str(env_dir / "bin"), "/usr/bin", "/bin"])
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GO", "CGO"))}
    env = {**clean, "PATH": path}
    if subprocess.run(["sh", "-c", "command -v go"], env=env).returncode == 0:
        pytest.skip("go is installed in /usr/bin or /bin, so it cannot be hidden from PATH")
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, env=env, timeout=300)
    out = subprocess.run(
        [str(python), "-c",
         "import cpp_leaderboard, cpp_event_processor\n"
         "b = cpp_leaderboard.Leaderboard(); b.update_user('a', 2, 0)\n"
         "p = cpp_event_processor.EventStreamProcessor(0, 1, 0, 0); got = []\n"
         "p.set_flush_callback(got.extend); p.push_event('m', 'u', 'c', 0); p.flush_now()\n"
         "print(b.get_top_users(1)[0]['score'], len(got))"],
        check=True, env=env, capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    assert out.stdout.split() == ["2.0", "1"]
