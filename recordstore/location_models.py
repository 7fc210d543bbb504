"""Where the phone was: the carrier's cell sites and sectors, and the sector that served each
call leg and each mobile data session (the records behind `cell_site_location`)."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recordstore.base import Base, BigId


class CellSite(Base):
    """A tower site: where it stands and the street address the carrier files it under."""

    __tablename__ = "cell_sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_code: Mapped[str] = mapped_column(String(32), unique=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    street: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))


class CellSector(Base):
    """One antenna face of a site: the direction it points and how wide it covers."""

    __tablename__ = "cell_sectors"
    __table_args__ = (UniqueConstraint("cell_site_id", "sector"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_site_id: Mapped[int] = mapped_column(ForeignKey("cell_sites.id"))
    sector: Mapped[int] = mapped_column(Integer)
    azimuth_degrees: Mapped[int] = mapped_column(Integer)
    beamwidth_degrees: Mapped[int] = mapped_column(Integer)


class CallCellRecord(Base):
    """The sector that served one of the carrier's mobile numbers on a call (one per leg)."""

    __tablename__ = "call_cell_records"
    __table_args__ = (Index("ix_call_cell_records_number_call", "number", "call_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_id: Mapped[int] = mapped_column(BigId, ForeignKey("call_records.id"), index=True)
    number: Mapped[str] = mapped_column(String(16))
    """The carrier's mobile number the sector served on this call, E.164."""
    sector_id: Mapped[int] = mapped_column(ForeignKey("cell_sectors.id"))


class SessionCellRecord(Base):
    """The sector that served a mobile data session when it began."""

    __tablename__ = "session_cell_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[int] = mapped_column(BigId, ForeignKey("internet_sessions.id"), unique=True)
    sector_id: Mapped[int] = mapped_column(ForeignKey("cell_sectors.id"))
