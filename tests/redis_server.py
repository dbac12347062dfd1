"""Throwaway redis-server processes for the Redis-backed tests: each on a
free loopback port, in its own temporary folder, without persistence unless
a test asks for it, always killed at the end. Tests that need one skip
(with the reason) only when the redis-server binary is absent; .ci/run
installs Debian's redis-server.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional

HOST = "127.0.0.1"
SERVER = shutil.which("redis-server")
CLI = shutil.which("redis-cli")
MISSING = "redis-server is not installed (Debian package redis-server; .ci/run installs it)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def free_cluster_port() -> int:
    """A free port p <= 55535 whose cluster bus port p + 10000 is free too."""
    rnd = random.Random()
    for _ in range(200):
        port = rnd.randrange(20000, 55535)
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind((HOST, port))
                b.bind((HOST, port + 10000))
            return port
        except OSError:
            continue
    raise RuntimeError("no free pair of ports for a cluster node")


class RedisServer:
    """One redis-server on HOST:port; ``stop()`` and ``start()`` again keep
    the port (and, with ``persist``, the data: an append-only file)."""

    def __init__(self, *args: str, password: Optional[str] = None, persist: bool = False,
                 port: Optional[int] = None, folder: Optional[Path] = None,
                 tls: Optional[Path] = None) -> None:
        self.port = port or free_port()
        self.tls = tls  # a folder with cert.pem and key.pem: TLS only, on port
        self.password = password
        self.dir = Path(folder or tempfile.mkdtemp(prefix="engagehub-redis-"))
        self.args = list(args)
        self.persist = persist
        self.proc: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        scheme = "rediss" if self.tls else "redis"
        return f"{scheme}://{auth}{HOST}:{self.port}/0"

    def start(self, timeout: float = 15) -> "RedisServer":
        durability = (["--appendonly", "yes", "--appendfsync", "always"] if self.persist
                      else ["--appendonly", "no"])
        args = [SERVER, "--port", str(self.port), "--bind", HOST, "--save", "",
                *durability, "--dir", str(self.dir), "--logfile", str(self.dir / "redis.log"),
                *self.args]
        if self.password:
            args += ["--requirepass", self.password]
        if self.tls:
            args[args.index("--port") + 1] = "0"
            args += ["--tls-port", str(self.port), "--tls-cert-file", str(self.tls / "cert.pem"),
                     "--tls-key-file", str(self.tls / "key.pem"),
                     "--tls-ca-cert-file", str(self.tls / "cert.pem"), "--tls-auth-clients", "no"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with socket.create_connection((HOST, self.port), timeout=0.2) as s:
                    if self.tls:
                        return self  # listening; the handshake is the client's
                    s.sendall(b"PING\r\n")
                    reply = s.recv(64)
                    if reply.startswith((b"+PONG", b"-NOAUTH")):
                        return self
            except OSError:
                pass
            time.sleep(0.02)
        log = (self.dir / "redis.log").read_text(errors="replace") if (self.dir / "redis.log").exists() else ""
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}:\n{log[-2000:]}")

    def stop(self) -> None:
        """Kill the server at once (no save): as a crash or a lost machine would."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def cli(self, *args: str) -> str:
        """Run redis-cli against this server; its output."""
        auth = ["-a", self.password, "--no-auth-warning"] if self.password else []
        out = subprocess.run([CLI, "-h", HOST, "-p", str(self.port), *auth, *args],
                             capture_output=True, text=True, timeout=30, check=True)
        return out.stdout

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def make_certificate(folder: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 (cert.pem, key.pem) made with openssl."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"),
                    "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   capture_output=True, check=True, timeout=60)
    return folder


class RedisCluster:
    """A real Redis Cluster of ``nodes`` masters on loopback ports, created
    with ``redis-cli --cluster create``."""

    def __init__(self, nodes: int = 3) -> None:
        self.servers = [RedisServer("--cluster-enabled", "yes", "--cluster-node-timeout", "2000",
                                    "--cluster-config-file", "nodes.conf",
                                    port=free_cluster_port())
                        for _ in range(nodes)]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"{HOST}:{s.port}" for s in self.servers)

    @staticmethod
    def _start_node(server: RedisServer) -> None:
        """Start one node. Its ports were free when picked, but the bus port
        (p + 10000) lies in the kernel's ephemeral range, where another
        test's outgoing connection may take it first: then pick another pair."""
        for attempt in range(5):
            try:
                server.start()
                return
            except RuntimeError as exc:
                if "Address already in use" not in str(exc) or attempt == 4:
                    raise
                server.port = free_cluster_port()

    def start(self) -> "RedisCluster":
        try:
            for s in self.servers:
                self._start_node(s)
            subprocess.run([CLI, "--cluster", "create",
                            *(f"{HOST}:{s.port}" for s in self.servers),
                            "--cluster-replicas", "0", "--cluster-yes"],
                           capture_output=True, text=True, timeout=60, check=True)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if all("cluster_state:ok" in s.cli("CLUSTER", "INFO") for s in self.servers):
                    return self
                time.sleep(0.1)
            raise RuntimeError("the cluster did not reach cluster_state:ok")
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        for s in self.servers:
            s.close()

    def nodes_holding(self, pattern: str) -> list:
        """The ports of the nodes that hold keys matching pattern."""
        return [s.port for s in self.servers if s.cli("--scan", "--pattern", pattern).strip()]
