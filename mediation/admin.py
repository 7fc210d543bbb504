"""The simulator's admin side, for tests and operators: faults, and its own record of a task."""

from __future__ import annotations

from typing import Any

import httpx


class SimulatorAdmin:
    """`/admin/*` of a mediation simulator at `base_url`."""

    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = timeout

    def fault(self, mode: str, *, count: int | None = None, seconds: float | None = None,
              delay: float = 2.0) -> dict[str, Any]:
        """Be `mode` (slow, flaky, down; none clears) for the next `count` requests and/or `seconds`."""
        spec = {"mode": mode, "count": count, "seconds": seconds, "delay": delay}
        response = httpx.post(f"{self._base}/admin/fault", json=spec, timeout=self._timeout)
        if response.status_code != 200:
            raise ValueError(response.json()["error"])
        return response.json()

    def clear_fault(self) -> None:
        self.fault("none")

    def task_record(self, xid: str) -> dict[str, Any] | None:
        """The store's record of a task (status, activated_at, deactivated_at...), None if never seen."""
        response = httpx.get(f"{self._base}/admin/tasks/{xid}", timeout=self._timeout)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self._base}/admin/health", timeout=self._timeout).status_code == 200
        except httpx.TransportError:
            return False
