"""Bulk loading: rows are buffered per table and written in batches, never all held at once.

PostgreSQL receives each batch through `COPY ... FROM STDIN` (CSV); other backends through
`executemany`. Keys are assigned here, after the table's current highest key, so related rows
can point at each other before they are written.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import Connection, Table, func, select, text

from recordstore.models import (
    AccountNote,
    BillingStatement,
    CallCellRecord,
    CallRecord,
    EmergencyCall,
    InternetSession,
    PaymentMethod,
    Service,
    SessionCellRecord,
    Subscriber,
    TelephoneNumber,
    Voicemail,
)


class TableLoader:
    """Buffers one table's rows (given without their key) and writes them in batches."""

    def __init__(
        self,
        conn: Connection,
        table: Table,
        columns: tuple[str, ...],
        batch_size: int,
        parent: TableLoader | None = None,
    ) -> None:
        self._conn = conn
        self._parent = parent
        self._table = table
        self._columns = ("id", *columns)
        self._batch_size = batch_size
        self._rows: list[tuple[Any, ...]] = []
        self._first_id = (conn.scalar(select(func.max(table.c.id))) or 0) + 1
        self.next_id = self._first_id
        self._postgres = conn.dialect.name == "postgresql"

    @property
    def written(self) -> int:
        """How many rows were added (written or about to be)."""
        return self.next_id - self._first_id

    @property
    def first_id(self) -> int | None:
        return self._first_id if self.written else None

    def add(self, *values: Any) -> int:
        """Queue one row; returns the key it was given."""
        key = self.next_id
        self.next_id += 1
        self._rows.append((key, *values))
        if len(self._rows) >= self._batch_size:
            self.flush()
        return key

    def flush(self) -> None:
        if not self._rows:
            return
        if self._parent is not None:
            self._parent.flush()  # the rows referenced must be there first
        if self._postgres:
            self._copy_in()
        else:
            self._conn.execute(
                self._table.insert(),
                [dict(zip(self._columns, row, strict=True)) for row in self._rows],
            )
        self._rows.clear()

    def _copy_in(self) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for row in self._rows:
            # bytea in COPY's text form is \x followed by hex; every other value prints as-is.
            writer.writerow([f"\\x{v.hex()}" if isinstance(v, bytes) else v for v in row])
        buffer.seek(0)
        cursor = self._conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            columns = ", ".join(self._columns)
            cursor.copy_expert(f"COPY {self._table.name} ({columns}) FROM STDIN WITH (FORMAT csv)", buffer)
        finally:
            cursor.close()

    def finish(self) -> None:
        """Write what is left and move PostgreSQL's key sequence past the keys used here."""
        self.flush()
        if self._postgres and self.written:
            self._conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :last)"),
                {"table": self._table.name, "last": self.next_id - 1},
            )


class Loaders:
    """One loader per table the generator fills, with the columns it gives (key excluded)."""

    def __init__(self, conn: Connection, batch_size: int) -> None:
        def loader(model: Any, *columns: str) -> TableLoader:
            return TableLoader(conn, model.__table__, columns, batch_size, self.subscribers)

        self.subscribers = TableLoader(
            conn,
            Subscriber.__table__,
            (
                "account_number",
                "name",
                "service_street",
                "service_city",
                "service_state",
                "service_zip",
                "billing_street",
                "billing_city",
                "billing_state",
                "billing_zip",
                "email",
                "date_of_birth",
                "pin_salt",
                "pin_hash",
                "created_at",
            ),
            batch_size,
        )
        self.numbers = loader(TelephoneNumber, "subscriber_id", "number", "valid_from", "valid_to")
        self.services = loader(Service, "subscriber_id", "service_type", "started_on", "ended_on")
        self.payments = loader(PaymentMethod, "subscriber_id", "kind", "masked_detail", "payer_name", "added_at")
        self.calls = TableLoader(
            conn,
            CallRecord.__table__,
            (
                "caller_number",
                "callee_number",
                "started_at",
                "duration_seconds",
                "call_type",
                "switch_time_zone",
                "utc_offset_minutes",
            ),
            batch_size,
        )
        self.sessions = loader(
            InternetSession,
            "subscriber_id",
            "started_at",
            "ended_at",
            "assigned_ip",
            "nat_port_start",
            "nat_port_end",
            "access_type",
            "bytes_up",
            "bytes_down",
        )
        self.statements = loader(
            BillingStatement,
            "subscriber_id",
            "period_start",
            "period_end",
            "issued_at",
            "amount_cents",
        )
        self.notes = loader(AccountNote, "subscriber_id", "created_at", "author", "text")
        self.e911 = TableLoader(
            conn,
            EmergencyCall.__table__,
            (
                "calling_number",
                "started_at",
                "psap",
                "latitude",
                "longitude",
                "location_source",
                "uncertainty_m",
                "dispatchable_address",
            ),
            batch_size,
        )
        self.voicemails = TableLoader(
            conn,
            Voicemail.__table__,
            (
                "mailbox_number",
                "caller_number",
                "left_at",
                "duration_seconds",
                "audio",
                "content_sha256",
            ),
            batch_size,
        )

        self.call_cells = TableLoader(
            conn, CallCellRecord.__table__, ("call_id", "number", "sector_id"), batch_size, self.calls
        )
        self.session_cells = TableLoader(
            conn, SessionCellRecord.__table__, ("session_id", "sector_id"), batch_size, self.sessions
        )

    def all(self) -> list[TableLoader]:
        return [
            self.subscribers,
            self.numbers,
            self.services,
            self.payments,
            self.calls,
            self.sessions,
            self.statements,
            self.notes,
            self.e911,
            self.voicemails,
            self.call_cells,
            self.session_cells,
        ]

    def finish(self) -> None:
        # Parents first, so foreign keys hold at every batch.
        for table_loader in self.all():
            table_loader.finish()
