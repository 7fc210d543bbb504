"""Preservation holds (18 U.S.C. 2703(f)): what a hold keeps, apart from the live tables.

A hold snapshots each named category's export rows as they stood when it was placed, so a
later demand produces the very same file even after retention purged the originals; the
purge never reads or deletes these tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.contracts import HoldState
from recordstore.base import Base, BigId, JsonDocument
from recordstore.records_models import enum_type


class PreservationHold(Base):
    """One preservation request's hold: whom and what it covers, and until when."""

    __tablename__ = "preservation_holds"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument)
    """The selectors held, as the preservation request named them."""
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime | None]
    rows_per_category: Mapped[dict[str, int]] = mapped_column(JsonDocument)
    columns_per_category: Mapped[dict[str, list[str]]] = mapped_column(JsonDocument)
    placed_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    state: Mapped[HoldState] = mapped_column(enum_type(HoldState))
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(Text)


class HeldRecord(Base):
    """One row of a held category's export, its values exactly as the export renders them."""

    __tablename__ = "held_records"
    __table_args__ = (UniqueConstraint("request_id", "category", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("preservation_holds.request_id"))
    category: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    """Position in the export's order."""
    row_values: Mapped[list[Any]] = mapped_column(JsonDocument)
