"""The plausible windows for a request's `as_of` date (every route and CLI option that takes one)
and for a target's window."""

from __future__ import annotations

from datetime import date

from service.clock import utctoday

# 2000-01-01: before the service's data (CN pledge registrations in volume, Chongqing's credit
# loans since 2017, the targets from 2022) a valuation or a match means nothing; a back-test
# still fits. Five years ahead: a target's deadline and a projection fit; beyond that a valuation
# would be published as every patent's current one (DESIGN.md §5) and matching would find
# nobody, and derived dates (term ends, fee dues) would run towards the calendar's end.
EARLIEST_AS_OF = date(2000, 1, 1)
AS_OF_YEARS_AHEAD = 5


# A target's window: from EARLIEST_AS_OF to thirty years ahead (a plan's horizon is years, not
# centuries; progress and projections compute dates inside the window).
TARGET_YEARS_AHEAD = 30


def _years_ahead(years: int, today: date | None = None) -> date:
    today = today or utctoday()
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


def latest_as_of(today: date | None = None) -> date:
    return _years_ahead(AS_OF_YEARS_AHEAD, today)


def check_target_window(window_start: date, deadline: date) -> None:
    """422 unless EARLIEST_AS_OF ≤ window_start ≤ deadline ≤ today + TARGET_YEARS_AHEAD years."""
    from service.errors import ApiError  # the web stack, only when answering: the CLI checks dates too

    latest = _years_ahead(TARGET_YEARS_AHEAD)
    bounds = {"earliest": EARLIEST_AS_OF.isoformat(), "latest": latest.isoformat()}
    for name, value in (("window_start", window_start), ("deadline", deadline)):
        if not EARLIEST_AS_OF <= value <= latest:
            raise ApiError(
                422,
                "implausible_window",
                f"{name} {value.isoformat()} 超出合理范围 / "
                f"{name} {value.isoformat()} is outside {EARLIEST_AS_OF.isoformat()} … {latest.isoformat()}",
                {name: value.isoformat(), **bounds},
            )
    if deadline < window_start:
        raise ApiError(422, "invalid_window", "截止日期不能早于起始日期 / deadline must not be before window_start")


def implausible_as_of(value: date) -> str | None:
    """Why `value` is outside the plausible window for `as_of`, or None inside it."""
    latest = latest_as_of()
    if EARLIEST_AS_OF <= value <= latest:
        return None
    return (
        f"统计日期 {value.isoformat()} 超出合理范围 / "
        f"as_of {value.isoformat()} is outside {EARLIEST_AS_OF.isoformat()} … {latest.isoformat()}"
    )


def as_of_or_today(value: date | None) -> date:
    """The request's `as_of`, today (UTC) when omitted; 400 outside the plausible window."""
    if value is None:
        return utctoday()
    problem = implausible_as_of(value)
    if problem:
        from service.errors import ApiError

        bounds = {"earliest": EARLIEST_AS_OF.isoformat(), "latest": latest_as_of().isoformat()}
        raise ApiError(400, "implausible_as_of", problem, {"as_of": value.isoformat(), **bounds})
    return value
