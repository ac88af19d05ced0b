"""`roadmap-rag app` started as a learner starts it, on 127.0.0.1, for the browser tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from roadmap_rag.index.chroma_server import free_port
from tests.conftest import CORPUS, REPO


@contextmanager
def running_app(data_dir: Path, llm: str, log_path: Path, **settings: str) -> Iterator[str]:
    """The app's address, with a learner id of its own in the link (?learner=): the learner's progress and
    saved conversations are this test's alone, not the default profile the session index's other tests see.
    ``settings``: more of the app's settings, by environment name (ROADMAP_RAG_CHROMA_PORT=...)."""
    port = free_port()
    env = {
        **os.environ,
        "ROADMAP_RAG_DATA_DIR": str(data_dir),
        "ROADMAP_RAG_LLM": llm,
        "ROADMAP_RAG_CORPUS_DIR": str(CORPUS),
        "HF_HUB_OFFLINE": "1",
        **settings,
    }
    cmd = [sys.executable, "-m", "roadmap_rag", "app", "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while True:  # bounded: 60 s for the server to come up
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "the app did not answer /_stcore/health within 60 s"
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.5)
            assert f"roadmap-rag app: {url}" in log_path.read_text()
            yield f"{url}/?learner={uuid.uuid4().hex[:12]}"
        finally:
            proc.terminate()  # `roadmap-rag app` execs Streamlit: this stops the server itself
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
