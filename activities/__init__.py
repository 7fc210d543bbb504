"""Activities only: every piece of I/O a workflow needs, as methods of classes given their dependencies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.billing import BillingActivities
from activities.case import CaseActivities
from activities.certification import CertificationActivities
from activities.customers import CustomerActivities
from activities.directory import DirectoryActivities
from activities.holds import HoldActivities
from activities.mediation import MediationActivities
from activities.production import ProductionActivities
from activities.records import RecordsActivities
from activities.verification import VerificationActivities
from les.config import Settings


def build_activities(settings: Settings, threads: int | None = None) -> list[Callable[..., Any]]:
    """Every activity of LES Orchestrator, bound to one engine and one session factory.

    `threads`: how many activities run at once (the worker's pool). The engine then keeps that
    many connections open: SQLAlchemy's default keeps 5 and closes any further one as soon as
    it is returned, so 16 busy threads kept opening new PostgreSQL connections (about 3% of the
    worker's CPU in bench/throughput.py's profile, plus a connection's start-up on the server)."""
    from les.seals import load_public_keys
    from recordstore.db import create_schema, make_engine, make_session_factory

    pooled = {"pool_size": threads} if threads and not settings.database_url.startswith("sqlite") else {}
    engine = make_engine(settings.database_url, **pooled)
    create_schema(engine)
    sessions = make_session_factory(engine)
    case = CaseActivities(sessions, load_public_keys(settings.seal_public_dir or settings.seal_dir))
    production = ProductionActivities(settings, sessions)
    holds = HoldActivities(engine)
    customers = CustomerActivities(engine)
    certification = CertificationActivities(sessions)
    mediation = MediationActivities(settings, engine=engine)
    return [
        case.open_case,
        case.authorize_decision,
        case.record_case_event,
        case.confirm_link,
        case.notify,
        case.close_case,
        VerificationActivities(settings.documents_root, engine).verify_legal_process,
        RecordsActivities(settings, engine).retrieve_records,
        production.package_production,
        production.write_no_records_letter,
        production.deliver_production,
        production.discard_production,
        BillingActivities(sessions).bill_request,
        holds.place_hold,
        holds.extend_hold,
        holds.release_hold,
        holds.expire_hold,
        customers.authenticate_customer,
        customers.quote_fee,
        customers.accept_quote,
        customers.address_of_record,
        DirectoryActivities(engine).check_callback,
        case.look_up_order,
        certification.certify_interception,
        certification.end_certification,
        certification.running_interceptions,
        certification.report_unauthorised_interception,
        mediation.activate_task,
        mediation.modify_task_end,
        mediation.deactivate_task,
        mediation.get_task,
        mediation.list_active_tasks,
        mediation.collect_events,
    ]
