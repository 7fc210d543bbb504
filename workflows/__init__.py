"""Workflow classes only: one per kind of legal demand, each a readable story of the process."""

from workflows.subpoena import SubpoenaWorkflow

WORKFLOW_FOR_TYPE: dict[str, type] = {"subpoena": SubpoenaWorkflow}
"""Which workflow handles each request type (more arrive with later issues)."""

ALL_WORKFLOWS = [SubpoenaWorkflow]
