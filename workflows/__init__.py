"""Workflow classes only: one per kind of legal demand, each a readable story of the process.

The names below are loaded on first use (PEP 562), not when the package is imported: Temporal's
sandbox imports a workflow's module afresh for every workflow instance it creates, and with it
this package, so importing every workflow here made each new Subpoena also re-run the modules
and `@workflow.defn` of the nine other types (about a third of the worker's event-loop time in
bench/throughput.py's profile)."""

from __future__ import annotations

from typing import Any

__all__ = [
    "ALL_WORKFLOWS",
    "WORKFLOW_FOR_TYPE",
    "CourtOrder",
    "CustomerCallLookup",
    "Emergency",
    "FisaOrder",
    "MediationReconciliation",
    "NationalSecurityLetter",
    "PenRegister",
    "Preservation",
    "SearchWarrant",
    "Subpoena",
    "SubpoenaWorkflow",
    "Title3Wiretap",
]


def _load() -> dict[str, Any]:
    from workflows.customer_lookup import CustomerCallLookup
    from workflows.demands import CourtOrder, FisaOrder, NationalSecurityLetter, SearchWarrant, Subpoena
    from workflows.emergency import Emergency
    from workflows.orders import PenRegister, Title3Wiretap
    from workflows.preservation import Preservation
    from workflows.reconciliation import MediationReconciliation

    workflow_for_type: dict[str, type] = {
        cls.plan.request_type: cls
        for cls in (CustomerCallLookup, Subpoena, CourtOrder, SearchWarrant, NationalSecurityLetter,
                    FisaOrder, Preservation, Emergency, PenRegister, Title3Wiretap)
    }
    return {
        "CustomerCallLookup": CustomerCallLookup, "Subpoena": Subpoena, "CourtOrder": CourtOrder,
        "SearchWarrant": SearchWarrant, "NationalSecurityLetter": NationalSecurityLetter, "FisaOrder": FisaOrder,
        "Emergency": Emergency, "PenRegister": PenRegister, "Title3Wiretap": Title3Wiretap,
        "Preservation": Preservation, "MediationReconciliation": MediationReconciliation,
        "SubpoenaWorkflow": Subpoena,  # the name the first release used
        "WORKFLOW_FOR_TYPE": workflow_for_type,  # which workflow handles each request type
        "ALL_WORKFLOWS": [*workflow_for_type.values(), MediationReconciliation],
    }


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    names = _load()
    globals().update(names)
    return names[name]
