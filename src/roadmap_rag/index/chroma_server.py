"""A Chroma server (`chroma run`, from the chromadb package) on loopback, started and waited for.

Used by the tests, the bench and anyone trying the server mode on one machine. It binds to
127.0.0.1 unless told otherwise: Chroma's server has had a remote-code-execution advisory (README).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from roadmap_rag.errors import IndexUnavailable


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def chroma_executable() -> str:
    found = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if not found:
        raise IndexUnavailable("the `chroma` command is missing; it ships with chromadb (pip install chromadb)")
    return found


@dataclass
class ChromaServer:
    path: Path
    port: int
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, timeout: float = 60.0) -> ChromaServer:
        """Start `chroma run` and return once it answers a heartbeat (bounded by ``timeout``)."""
        cmd = [chroma_executable(), "run", "--path", str(self.path), "--host", self.host, "--port", str(self.port)]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import chromadb

        deadline = time.monotonic() + timeout
        while True:
            try:
                chromadb.HttpClient(host=self.host, port=self.port).heartbeat()
                return self
            except Exception as exc:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise IndexUnavailable(
                        f"`chroma run` on {self.host}:{self.port} did not come up within {timeout:.0f} s ({exc})"
                    ) from exc
                time.sleep(0.25)

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)

    def __enter__(self) -> ChromaServer:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
