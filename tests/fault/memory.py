"""Watch a service process's resident memory (VmRSS from /proc) while something runs."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.fault.service import ServiceProcess


class RssWatch:
    """Samples a service's VmRSS in a thread while the block runs; keeps the peak.

    Usage::

        with RssWatch(service) as watch:
            ...
        growth_mib = (watch.peak_kib - baseline_kib) / 1024
    """

    def __init__(self, service: ServiceProcess, interval: float = 0.005) -> None:
        self._pid = service.pid
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-watch", daemon=True)
        self.peak_kib = 0
        self.samples = 0

    def __enter__(self) -> RssWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        status = Path(f"/proc/{self._pid}/status")
        while not self._stop.is_set():
            try:
                text = status.read_text()
            except OSError:
                return  # the process is gone
            for line in text.splitlines():
                if line.startswith("VmRSS:"):
                    self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                    self.samples += 1
            self._stop.wait(self._interval)
