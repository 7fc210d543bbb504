"""Workflow classes only: one per kind of legal demand, each a readable story of the process."""

from workflows.customer_lookup import CustomerCallLookup
from workflows.demands import CourtOrder, FisaOrder, NationalSecurityLetter, SearchWarrant, Subpoena
from workflows.emergency import Emergency
from workflows.orders import PenRegister, Title3Wiretap
from workflows.preservation import Preservation
from workflows.reconciliation import MediationReconciliation

SubpoenaWorkflow = Subpoena
"""The name the first release used."""

WORKFLOW_FOR_TYPE: dict[str, type] = {
    cls.plan.request_type: cls
    for cls in (CustomerCallLookup, Subpoena, CourtOrder, SearchWarrant, NationalSecurityLetter,
                FisaOrder, Preservation, Emergency, PenRegister, Title3Wiretap)
}
"""Which workflow handles each request type."""

ALL_WORKFLOWS = [*WORKFLOW_FOR_TYPE.values(), MediationReconciliation]
