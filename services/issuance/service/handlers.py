"""Every command of the issuance service and its handler, for bootstrap to build the message bus."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.issuance.domain import commands
from services.issuance.service import (
    clear_duplicate_flag,
    create_methodology,
    create_program,
    create_project,
    engage_verifier,
    import_batch,
    import_project,
    issue_credits,
    record_validation,
    record_verification,
    register_project,
    report_reversal,
    request_changes,
    request_validation,
    submit_monitoring_report,
    update_methodology,
    update_program,
    withdraw_project,
)

HANDLERS: dict[type, Callable[..., Any]] = {
    commands.CreateProject: create_project.handle,
    commands.EngageVerifier: engage_verifier.handle,
    commands.RequestValidation: request_validation.handle,
    commands.RecordValidation: record_validation.handle,
    commands.RequestChanges: request_changes.handle,
    commands.RegisterProject: register_project.handle,
    commands.WithdrawProject: withdraw_project.handle,
    commands.ClearDuplicateFlag: clear_duplicate_flag.handle,
    commands.SubmitMonitoringReport: submit_monitoring_report.handle,
    commands.RecordVerification: record_verification.handle,
    commands.IssueCredits: issue_credits.handle,
    commands.ReportReversal: report_reversal.handle,
    commands.CreateProgram: create_program.handle,
    commands.UpdateProgram: update_program.handle,
    commands.CreateMethodology: create_methodology.handle,
    commands.UpdateMethodology: update_methodology.handle,
    commands.ImportProject: import_project.handle,
    commands.ImportBatch: import_batch.handle,
}
