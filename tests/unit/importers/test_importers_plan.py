"""Import plans built from the real shared registry exports."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from carbon_runtime.errors import ErrorCode
from importers import (
    BlockEventKind,
    ImportedBatch,
    ImportedBlockEvent,
    OriginRegistry,
    RejectionReason,
    build_plan,
)
from importers.plan import REGISTRY_FOLDERS

ALL_FILES = [f"{folder}/{spec.file_name}" for folder, specs in REGISTRY_FOLDERS for spec in specs]


def csv_records(path: Path) -> list[list[str]]:
    """All CSV records of a file (header first), read independently of the importer."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [row for row in csv.reader(handle) if row]


def physical_lines(path: Path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return sum(1 for _ in handle)


def append_row(path: Path, cells: list[str]) -> int:
    """Append one CSV record; returns the physical line it starts on."""
    assert path.read_bytes().endswith(b"\n")
    start_line = physical_lines(path) + 1
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerow(cells)
    return start_line


def test_every_export_file_is_recognised_and_every_data_row_accounted_for(exports_dir: Path) -> None:
    plan = build_plan(exports_dir)
    by_file = {summary.file: summary for summary in plan.files}
    assert sorted(by_file) == sorted(ALL_FILES)
    assert plan.unrecognized_files == ()
    for name in ALL_FILES:
        data_rows = len(csv_records(exports_dir / name)) - 1
        summary = by_file[name]
        assert summary.rows_read == data_rows, name
        assert summary.imported + summary.rejected == summary.rows_read, name
        assert sum(count for _, count in summary.rejection_reasons) == summary.rejected, name
    assert len(plan.rejections) == sum(s.rejected for s in plan.files)


def test_shared_exports_reject_only_projects_without_a_country(exports_dir: Path) -> None:
    plan = build_plan(exports_dir)
    assert [(r.file, r.line, r.reason) for r in plan.rejections] == [
        ("gold-standard/projects.csv", 223, RejectionReason.UNKNOWN_COUNTRY),
        ("gold-standard/projects.csv", 224, RejectionReason.UNKNOWN_COUNTRY),
    ]
    with (exports_dir / "gold-standard/projects.csv").open(newline="", encoding="utf-8-sig") as handle:
        physical = handle.readlines()
    # Quoted newlines in descriptions: the 2 rejected records start on these physical lines.
    assert physical[222].startswith("23474,FleetRefit Programme: VPA 1,")
    assert physical[223].startswith("23473,FleetRefit Programme,")


def test_known_verra_serial_becomes_an_issued_block_and_its_retirement(exports_dir: Path) -> None:
    plan = build_plan(exports_dir)
    serial = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
    [batch] = [b for b in plan.batches if b.units is not None and b.units.origin_serial == serial]
    assert batch.registry is OriginRegistry.VERRA
    assert (batch.origin_project_id, batch.origin_batch_id, batch.issued_quantity) == ("1340", "19385", 425)
    assert (batch.vintage_start, batch.vintage_end) == (date(2020, 1, 1), date(2020, 12, 31))
    assert batch.units is not None
    assert (batch.units.unit_start, batch.units.unit_end) == (
        941467007,
        941467431,
    )
    assert batch.units.country_code == "ET"
    [event] = [e for e in plan.block_events if e.units is not None and e.units.origin_serial == serial]
    assert (event.kind, event.quantity, event.event_date) == (BlockEventKind.RETIRED, 425, date(2026, 4, 10))
    assert (batch.source.file, batch.source.line) == ("verra/transactions.csv", 2)


def test_gold_standard_cancellation_without_date_is_kept_as_cancelled(exports_dir: Path) -> None:
    plan = build_plan(exports_dir)
    cancelled = [e for e in plan.block_events if e.registry is OriginRegistry.GOLD_STANDARD and e.event_date is None]
    assert len(cancelled) == 6
    assert {e.kind for e in cancelled} == {BlockEventKind.CANCELLED}


def test_every_imported_serial_block_holds_exactly_its_stated_quantity(exports_dir: Path) -> None:
    plan = build_plan(exports_dir)
    with_units = 0
    records: list[ImportedBatch | ImportedBlockEvent] = [*plan.batches, *plan.block_events]
    for record in records:
        if record.units is None:
            continue
        with_units += 1
        stated = record.issued_quantity if isinstance(record, ImportedBatch) else record.quantity
        assert record.units.unit_end - record.units.unit_start + 1 == stated
    # Verra 200 blocks + 100 retirements, GS 100 + 100, ACR 150, CAR 150, ART 11 events.
    assert with_units == 300 + 200 + 150 + 150 + 11


def test_issuance_totals_are_whole_tonnes_including_buffer(exports_dir: Path) -> None:
    plan = build_plan(exports_dir)
    guyana_2023 = [
        b
        for b in plan.batches
        if b.registry is OriginRegistry.ART and b.origin_project_id == "ART102" and b.vintage_year == 2023
    ]
    assert [(b.issued_quantity, b.buffer_quantity) for b in guyana_2023] == [(9621384, 535461)]
    assert all(isinstance(b.issued_quantity, int) for b in plan.batches)


def test_replanning_the_same_files_gives_identical_unique_keys(exports_dir: Path) -> None:
    first, second = build_plan(exports_dir), build_plan(exports_dir)
    assert first.keys == second.keys
    assert len(set(first.keys)) == len(first.keys)


def test_keys_do_not_depend_on_row_order(exports_copy: Path) -> None:
    before = build_plan(exports_copy)
    for name in (
        "gold-standard/retirements.csv",
        "american-carbon-registry/issuances.csv",
        "verra/transactions.csv",
    ):
        path = exports_copy / name
        header, *rows = csv_records(path)
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerows([header, *reversed(rows)])
    after = build_plan(exports_copy)
    assert sorted(after.keys) == sorted(before.keys)


def _row_of(path: Path, column: str, value: str) -> list[str]:
    header, *rows = csv_records(path)
    position = header.index(column)
    return next(row for row in rows if row[position] == value)


def test_issuance_overlapping_an_issued_gold_standard_block_is_double_registration(
    exports_copy: Path,
) -> None:
    path = exports_copy / "gold-standard/issuances.csv"
    original = _row_of(path, "Serial Number", "GS1-1-UG-GS11236-16-2024-30307-1-19149")
    injected = list(original)
    header = csv_records(path)[0]
    injected[header.index("Serial Number")] = "GS1-1-UG-GS11236-16-2024-30307-19000-19199"
    injected[header.index("Quantity")] = "200"
    line = append_row(path, injected)

    plan = build_plan(exports_copy)

    [rejection] = [r for r in plan.rejections if r.reason is RejectionReason.DOUBLE_REGISTRATION]
    assert (rejection.file, rejection.line) == ("gold-standard/issuances.csv", line)
    assert "gold-standard/issuances.csv:2" in rejection.message
    assert rejection.to_error().code is ErrorCode.CONFLICT
    summary = next(s for s in plan.files if s.file == "gold-standard/issuances.csv")
    assert (summary.rows_read, summary.imported, summary.rejected) == (101, 100, 1)


def test_verra_block_overlapping_another_batch_is_rejected_with_its_retirement(exports_copy: Path) -> None:
    path = exports_copy / "verra/transactions.csv"
    header = csv_records(path)[0]
    original = _row_of(
        path, "Serial Number", "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
    )
    injected = list(original)
    # Another batch number, but units 941467431-941467432 overlap the original block's last unit.
    injected[header.index("Serial Number")] = (
        "19999-941467431-941467432-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
    )
    injected[header.index("Quantity Issued")] = "2"
    line = append_row(path, injected)

    plan = build_plan(exports_copy)

    [rejection] = [r for r in plan.rejections if r.file == "verra/transactions.csv"]
    assert (rejection.line, rejection.reason) == (line, RejectionReason.DOUBLE_REGISTRATION)
    records: list[ImportedBatch | ImportedBlockEvent] = [*plan.batches, *plan.block_events]
    assert not [r for r in records if r.source.line == line and r.source.file == rejection.file]


def test_overlapping_retirements_within_one_acr_batch_are_double_registration(exports_copy: Path) -> None:
    path = exports_copy / "american-carbon-registry/retirements.csv"
    header = csv_records(path)[0]
    injected = list(_row_of(path, "Credit Serial Numbers", "ACR-FR-1129-2025-2917-4751 to 23327"))
    injected[header.index("Credit Serial Numbers")] = "ACR-FR-1129-2025-2917-23000 to 23999"
    injected[header.index("Quantity of Credits")] = "1000"
    line = append_row(path, injected)

    plan = build_plan(exports_copy)

    [rejection] = [r for r in plan.rejections if r.reason is RejectionReason.DOUBLE_REGISTRATION]
    assert (rejection.file, rejection.line) == ("american-carbon-registry/retirements.csv", line)


def test_same_units_in_different_batches_are_not_double_registration(exports_copy: Path) -> None:
    path = exports_copy / "american-carbon-registry/retirements.csv"
    header = csv_records(path)[0]
    injected = list(_row_of(path, "Credit Serial Numbers", "ACR-FR-1129-2025-2917-4751 to 23327"))
    # Batch 9999 numbers its units from 1 on its own: 4751-23327 there are other credits.
    injected[header.index("Credit Serial Numbers")] = "ACR-FR-1129-2025-9999-4751 to 23327"
    append_row(path, injected)

    plan = build_plan(exports_copy)

    assert [r.reason for r in plan.rejections if r.file == "american-carbon-registry/retirements.csv"] == []


def test_repeated_issuance_row_without_serials_is_rejected_as_duplicate(exports_copy: Path) -> None:
    path = exports_copy / "american-carbon-registry/issuances.csv"
    _header, first, *_ = csv_records(path)
    line = append_row(path, first)

    plan = build_plan(exports_copy)

    [rejection] = [r for r in plan.rejections if r.file == "american-carbon-registry/issuances.csv"]
    assert (rejection.line, rejection.reason) == (line, RejectionReason.DUPLICATE_RECORD)
    assert "american-carbon-registry/issuances.csv:2" in rejection.message


def test_malformed_serial_after_quoted_newlines_is_reported_at_its_physical_line(exports_copy: Path) -> None:
    path = exports_copy / "gold-standard/retirements.csv"
    header, first, *_ = csv_records(path)
    injected = list(first)
    injected[header.index("Serial Number")] = "GS1-1-KE-GS11603-16-2025-30256-110"
    line = append_row(path, injected)
    assert line == 107  # 100 records over 106 physical lines: six notes carry quoted newlines

    plan = build_plan(exports_copy)

    [rejection] = [r for r in plan.rejections if r.file == "gold-standard/retirements.csv"]
    assert (rejection.line, rejection.reason) == (107, RejectionReason.MALFORMED_SERIAL)
    assert rejection.to_error().code is ErrorCode.INVALID_ARGUMENT
    assert rejection.to_error().details == {"file": "gold-standard/retirements.csv", "line": 107}


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("Quantity of Offset Credits", "5001", RejectionReason.QUANTITY_MISMATCH),
        ("Quantity of Offset Credits", "5,000.5", RejectionReason.INVALID_QUANTITY),
        ("Status Effective", "31/10/2025", RejectionReason.INVALID_DATE),
        ("Vintage", "2024", RejectionReason.SERIAL_ROW_MISMATCH),
        ("Project ID", "CAR1336", RejectionReason.SERIAL_ROW_MISMATCH),
        ("Offset Credit Serial Numbers", "", RejectionReason.MISSING_FIELD),
    ],
)
def test_inconsistent_car_retirement_row_is_rejected_with_reason(
    exports_copy: Path, column: str, value: str, reason: RejectionReason
) -> None:
    path = exports_copy / "climate-action-reserve/retirements.csv"
    header = csv_records(path)[0]
    injected = list(_row_of(path, "Offset Credit Serial Numbers", "CAR-1-US-1335-31-983-KS-2025-9205-1 to 5000"))
    # Fresh units so that only the altered column can be the problem.
    injected[header.index("Offset Credit Serial Numbers")] = "CAR-1-US-1335-31-983-KS-2025-1-1 to 5000"
    injected[header.index(column)] = value
    line = append_row(path, injected)

    plan = build_plan(exports_copy)

    [rejection] = [r for r in plan.rejections if r.file == "climate-action-reserve/retirements.csv"]
    assert (rejection.line, rejection.reason) == (line, reason)


def test_file_missing_a_required_column_rejects_every_row(exports_copy: Path) -> None:
    path = exports_copy / "art-trees/cancellations.csv"
    header, *rows = csv_records(path)
    header[header.index("Credit Serial Numbers")] = "Serials"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *rows])

    plan = build_plan(exports_copy)

    rejected = [r for r in plan.rejections if r.file == "art-trees/cancellations.csv"]
    assert [(r.line, r.reason) for r in rejected] == [(n, RejectionReason.MISSING_COLUMN) for n in (2, 3, 4)]


def test_unrecognised_csv_files_are_listed_not_ignored(exports_copy: Path) -> None:
    (exports_copy / "verra" / "holdings.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert build_plan(exports_copy).unrecognized_files == ("verra/holdings.csv",)


def test_summary_table_lists_each_file_with_counts(exports_dir: Path) -> None:
    table = build_plan(exports_dir).summary_table()
    assert "gold-standard/projects.csv" in table
    assert "UNKNOWN_COUNTRY=2" in table
    assert len(table.splitlines()) == 1 + len(ALL_FILES)


def test_imported_events_are_typed_by_file_kind(exports_dir: Path) -> None:
    plan = build_plan(exports_dir)
    kinds = {(e.registry, e.source.file.rsplit("/", 1)[1], e.kind) for e in plan.block_events}
    assert (OriginRegistry.ACR, "cancellations.csv", BlockEventKind.CANCELLED) in kinds
    assert (OriginRegistry.CAR, "retirements.csv", BlockEventKind.RETIRED) in kinds
    assert all(isinstance(e, ImportedBlockEvent) for e in plan.block_events)
