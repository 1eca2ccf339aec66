"""The job worker in a daemon thread of the test process, for tests that need jobs to run."""

from __future__ import annotations

import threading

from geoapp.jobs.queue import Worker


def run_in_thread(*, poll_s: float = 0.2) -> Worker:
    """Start a worker in a daemon thread; stop it with `.stopping`."""
    worker = Worker(poll_s=poll_s)
    thread = threading.Thread(target=worker.run_forever, name="mueang-jobs", daemon=True)
    thread.start()
    return worker
