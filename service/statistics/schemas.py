"""Response shapes of the statistics API (msgspec Structs built from the service's plain rows)."""

from __future__ import annotations

from datetime import date

import msgspec


class FlagCounts(msgspec.Struct):
    strategic_emerging: int
    granted_abroad: int
    maintained_10y: int
    high_pledge_amount: int
    award: int


class HighValuePoint(msgspec.Struct):
    """The stock on one date (a month end, or the last date asked for)."""

    as_of: date
    month: str
    invention_patents: int
    high_value_patents: int
    by_flag: FlagCounts
    population: int
    invention_per_10k_residents: float
    high_value_per_10k_residents: float


class HighValuePatent(msgspec.Struct):
    patent_id: int
    application_no: str
    enterprise_id: int
    industry_cluster: str
    town: str
    flags: list[str]


class MonitoringRow(msgspec.Struct):
    period: str
    start: date
    end: date
    group: str
    patent_type: str
    applications: int
    grants: int
    lapses: int
    in_force_end: int
    granted_by_end: int
    maintenance_rate: float | None


class ClusterPerEmployee(msgspec.Struct):
    industry_cluster: str
    invention_patents: int
    employees: int
    per_10k_employees: float | None


class PerEmployee(msgspec.Struct):
    as_of: date
    invention_patents: int
    employees: int
    per_10k_employees: float | None
    enterprises_with_employees: int
    invention_patents_without_employee_count: int
    by_cluster: list[ClusterPerEmployee]
    note: str
