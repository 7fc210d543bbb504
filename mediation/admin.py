"""The simulator's admin side, for tests and operators: faults, and its own record of a task.

It is served on the X1 listener, so it needs the same client certificate (`tls`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from les.x1_tls import X1Tls


class SimulatorAdmin:
    """`/admin/*` of a mediation simulator at `url` (its X1 address or its root)."""

    def __init__(self, url: str, *, tls: X1Tls | None = None, timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        self._base = f"{parts.scheme}://{parts.netloc}"
        self._verify = tls.client_context() if tls is not None and parts.scheme == "https" else False
        self._timeout = timeout

    def _request(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One request on a connection of its own, closed after it (so none keeps the server waiting)."""
        with httpx.Client(base_url=self._base, timeout=self._timeout, verify=self._verify,  # type: ignore[arg-type]
                          headers={"Connection": "close"}) as http:
            return http.request(method, path, **options)

    def fault(self, mode: str, *, count: int | None = None, seconds: float | None = None,
              delay: float = 2.0, skip: int = 0) -> dict[str, Any]:
        """Be `mode` (slow, flaky, down; none clears) for the next `count` requests and/or `seconds`,
        after letting `skip` requests through (e.g. an activation's CreateDestination)."""
        spec = {"mode": mode, "count": count, "seconds": seconds, "delay": delay, "skip": skip}
        response = self._request("POST", "/admin/fault", json=spec)
        if response.status_code != 200:
            raise ValueError(response.json()["error"])
        return response.json()

    def clear_fault(self) -> None:
        self.fault("none")

    def task_record(self, xid: str) -> dict[str, Any] | None:
        """The store's record of a task (status, activated_at, deactivated_at...), None if never seen."""
        response = self._request("GET", f"/admin/tasks/{xid}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def task_records(self, liid: str) -> list[dict[str, Any]]:
        """Every task the store holds for `liid` (a request's LIID), oldest activation first."""
        response = self._request("GET", "/admin/tasks", params={"liid": liid})
        response.raise_for_status()
        return response.json()

    def task_for(self, liid: str) -> dict[str, Any]:
        """The one task held for `liid` (AssertionError unless exactly one)."""
        records = self.task_records(liid)
        assert len(records) == 1, f"{len(records)} tasks for LIID {liid}"
        return records[0]

    def healthy(self) -> bool:
        try:
            return self._request("GET", "/admin/health").status_code == 200
        except httpx.TransportError:
            return False
