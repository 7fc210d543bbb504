"""The gauges of les/metrics.py: what stands open now, read every LES_METRICS_INTERVAL seconds
from the server's visibility counts (the search attributes the cases keep up to date) and from
the carrier's interception records, and set on the worker runtime's meter, so they are served on
the same /metrics as the SDK's. A reading that fails is logged and tried again next time; the
gauges keep their last values and les_metrics_collected says when the last reading was whole."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.common import MetricMeter

from domain.vocabulary import RequestType
from les import metrics
from les.config import Settings

log = structlog.get_logger("les.metrics")

WAITING_FOR = ("analyst", "supervisor", "legal", "customer")
"""The LesWaitingFor values a queue is kept for (les/temporal.py WAITING_FOR); `none` is not a wait."""


@dataclass
class Reading:
    """One reading of the gauges."""

    open_by_type: dict[str, int] = field(default_factory=dict)
    waiting: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    interceptions_running: int = 0
    switch_offs_pending: int = 0


async def read_cases(client: Client) -> Reading:
    """Open cases by type, by whom they wait for, and overdue: one visibility count each."""
    reading = Reading()
    running = "ExecutionStatus = 'Running'"
    for kind in RequestType:
        count = await client.count_workflows(f"{running} AND LesRequestType = '{kind.value}'")
        reading.open_by_type[kind.value] = count.count
    for who in WAITING_FOR:
        reading.waiting[who] = (await client.count_workflows(f"{running} AND LesWaitingFor = '{who}'")).count
    reading.overdue = (await client.count_workflows(f"{running} AND LesOverdue = true")).count
    return reading


def read_interceptions(sessions, now: datetime) -> tuple[int, int]:
    """(switched on and not off, of those still on after their authorisation ended), by the
    carrier's interception certifications (47 CFR 1.20004)."""
    from recordstore.models import InterceptionCertification as Cert

    with sessions() as session:
        on = session.scalar(select(func.count()).select_from(Cert).where(Cert.ended_at.is_(None)))
        late = session.scalar(select(func.count()).select_from(Cert).where(
            Cert.ended_at.is_(None), Cert.authorised_until.is_not(None), Cert.authorised_until <= now))
    return int(on or 0), int(late or 0)


def publish(meter: MetricMeter, reading: Reading) -> None:
    gauge = meter.create_gauge(metrics.CASES_OPEN, metrics.DESCRIPTIONS[metrics.CASES_OPEN])
    for kind, count in reading.open_by_type.items():
        gauge.set(count, {"request_type": kind})
    gauge = meter.create_gauge(metrics.CASES_WAITING, metrics.DESCRIPTIONS[metrics.CASES_WAITING])
    for who, count in reading.waiting.items():
        gauge.set(count, {"waiting_for": who})
    for name, value in ((metrics.CASES_OVERDUE, reading.overdue),
                        (metrics.INTERCEPTIONS_RUNNING, reading.interceptions_running),
                        (metrics.SWITCH_OFFS_PENDING, reading.switch_offs_pending),
                        (metrics.METRICS_COLLECTED, int(time.time()))):
        meter.create_gauge(name, metrics.DESCRIPTIONS[name]).set(value)


class Collector:
    """Reads and publishes the gauges every `interval` seconds until stopped."""

    def __init__(self, client: Client, settings: Settings, meter: MetricMeter) -> None:
        from recordstore.db import make_engine, make_session_factory

        self._client, self._meter, self._interval = client, meter, settings.metrics_interval
        self._engine = make_engine(settings.database_url)
        self._sessions = make_session_factory(self._engine)
        self._task: asyncio.Task | None = None

    async def collect(self) -> Reading:
        reading = await read_cases(self._client)
        reading.interceptions_running, reading.switch_offs_pending = await asyncio.to_thread(
            read_interceptions, self._sessions, datetime.now(UTC))
        publish(self._meter, reading)
        return reading

    async def _run(self) -> None:
        while True:
            try:
                await self.collect()
            except Exception as err:  # the server or the store is away: the next reading may work
                log.warning("metrics reading failed; the gauges keep their last values",
                            error=" ".join(str(err).split())[:200])
            await asyncio.sleep(self._interval)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="les-metrics-collector")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._engine.dispose()
