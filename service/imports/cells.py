"""Parsers for one cell of an import file. Each returns a typed value or raises ValueError
with the message shown to the user as `row N, column C: message`, in Chinese and English
("中文 / English": county staff read the first half, integrators and logs the second).

The cells are untrusted (the importer, the public estimate endpoint and the CLI share these
parsers), so every parser bounds its work before converting: numeric text by length and
exponent (DESIGN.md §10: converting "1e400000" to an integer costs seconds of CPU), dates by a
plausible window, and a message quotes at most the first characters of a bad value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from service.clock import utctoday
from service.identifiers import normalize_application_no, normalize_credit_code
from service.vocabulary import code_of

Parser = Callable[[str], object]

_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}
_CODE = re.compile(r"^[A-Z0-9_-]{2,32}$")
_LIST_SEPARATOR = re.compile("[;；]")  # several values in one cell: ASCII or full-width semicolons

# Numeric text: at most this many characters, and a decimal exponent (the power of ten of the
# leading digit) within ±MAX_EXPONENT. Every column's range is far inside: 10^13 yuan, 2^31 counts.
MAX_NUMBER_LENGTH = 40
MAX_EXPONENT = 30

# Plausible dates. EARLIEST_DATE: the Patent Law of the PRC came into force on 1985-04-01; no CN
# patent, pledge, certification or credit loan this service tracks is older. A date that records
# an event (filing, grant, lapse, registration, release, certification, loan start) is at most
# EVENT_SLACK after today: files are prepared ahead across time zones and sometimes carry a date
# already agreed (a release, a grant announced), but a year later is a typo (9990 for 1990). A date
# that ends a term (maturity, loan end, quota period) is at most TERM_SLACK ahead (products allow
# terms up to 600 months). Both keep every derived date (expiry = filing + 20 years + up to 5
# years' compensation, fee due dates, grace periods) far from the calendar's end (year 9999).
EARLIEST_DATE = date(1985, 4, 1)
EVENT_SLACK = timedelta(days=366)
TERM_SLACK = timedelta(days=50 * 366)
_SHOWN = 40


def shown(raw: str) -> str:
    """A bad value as quoted in a message: its first characters only (errors never echo megabytes)."""
    return repr(raw) if len(raw) <= _SHOWN else repr(raw[:_SHOWN]) + f"… ({len(raw)} characters)"


NUL_REFUSED = "含有空字符（NUL，\\x00），无法保存 / contains a NUL character (\\x00), which cannot be stored"


def text(max_length: int) -> Parser:
    """Free text of at most `max_length` characters. A NUL character is refused: PostgreSQL cannot
    store one in text (SQLite would), so a file imports alike on both or names the row on both."""

    def parse(raw: str) -> str:
        if len(raw) > max_length:
            raise ValueError(
                f"内容过长：{len(raw)} 个字符，最多 {max_length} 个 / "
                f"too long: {len(raw)} characters, at most {max_length}"
            )
        if "\x00" in raw:
            raise ValueError(NUL_REFUSED)
        return raw

    return parse


def code(raw: str) -> str:
    value = raw.upper()
    if not _CODE.match(value):
        raise ValueError(
            f"{shown(raw)} 不是有效代码，请用 2–32 位大写字母、数字、_ 或 - / "
            f"{shown(raw)} is not a code: use 2–32 of A–Z, 0–9, _ and -"
        )
    return value


def _short(raw: str, what: str, max_length: int = 40) -> str:
    if len(raw) > max_length:
        zh, en = what.split(" / ")
        raise ValueError(
            f"不是{zh}：{len(raw)} 个字符，最多 {max_length} 个 / not {en}: {len(raw)} characters, at most {max_length}"
        )
    return raw


def credit_code(raw: str) -> str:
    return normalize_credit_code(_short(raw, "统一社会信用代码 / a credit code"))


def application_no(raw: str) -> str:
    return normalize_application_no(_short(raw, "专利申请号 / an application number"))


def _calendar_date(raw: str) -> date:
    match = _DATE.match(raw)
    if not match:
        raise ValueError(f"{shown(raw)} 不是日期，请写成 YYYY-MM-DD / {shown(raw)} is not a date: use YYYY-MM-DD")
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError(f"日历上没有 {raw!r} 这一天 / {raw!r} is not a calendar date") from None


def dated(slack: timedelta, what: str) -> Parser:
    """A date between EARLIEST_DATE and today (UTC) + `slack`, checked at parse time; `what` is
    "中文 / English"."""
    zh, en = what.split(" / ")

    def parse(raw: str) -> date:
        value = _calendar_date(raw)
        latest = utctoday() + slack
        if not EARLIEST_DATE <= value <= latest:
            first, last = EARLIEST_DATE.isoformat(), latest.isoformat()
            raise ValueError(
                f"{value.isoformat()} 不是合理的{zh}，应在 {first} 至 {last} 之间 / "
                f"{value.isoformat()} is not a plausible {en}: use a date from {first} to {last}"
            )
        return value

    return parse


# The date that records an event (filing, grant, release…) and the date that ends a term.
iso_date = dated(EVENT_SLACK, "日期 / date")
term_end_date = dated(TERM_SLACK, "截止日期 / end date")


def boolean(raw: str) -> bool:
    value = raw.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{shown(raw)} 不是是/否值，请填 是 或 否 / {shown(raw)} is not a boolean: use true or false")


def _decimal(raw: str) -> Decimal:
    """Numeric text → Decimal, bounded in length and exponent before any arithmetic."""
    if len(raw) > MAX_NUMBER_LENGTH:
        raise ValueError(
            f"不是数字：{len(raw)} 个字符，最多 {MAX_NUMBER_LENGTH} 个 / "
            f"not a number: {len(raw)} characters, at most {MAX_NUMBER_LENGTH}"
        )
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"{raw!r} 不是数字 / {raw!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{raw!r} 不是有限的数 / {raw!r} is not a finite number")
    if value and not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
        raise ValueError(
            f"{raw!r} 超出范围 / {raw!r} is out of range: use a number between 1e-{MAX_EXPONENT} and 1e{MAX_EXPONENT}"
        )
    return value


# Largest values the columns hold (32-bit counts; fen in a 64-bit column with room to sum).
MAX_COUNT = 2_147_483_647
MAX_YUAN = Decimal(10) ** 13


def integer(low: int | None = 0, high: int = MAX_COUNT) -> Parser:
    def parse(raw: str) -> int:
        value = _decimal(raw)
        if value != value.to_integral_value():
            raise ValueError(f"{raw!r} 不是整数 / {raw!r} is not a whole number")
        number = int(value)
        if low is not None and number < low:
            raise ValueError(f"{number} 小于最小值 {low} / {number} is below the minimum {low}")
        if number > high:
            raise ValueError(f"{number} 大于最大值 {high} / {number} is above the maximum {high}")
        return number

    return parse


def decimal(low: Decimal | None = None, high: Decimal | None = None, *, low_open: bool = False) -> Parser:
    def parse(raw: str) -> Decimal:
        value = _decimal(raw)
        if low is not None and (value < low or (low_open and value == low)):
            raise ValueError(
                f"{raw} 应{'大于' if low_open else '不小于'} {low} / "
                f"{raw} must be {'above' if low_open else 'at least'} {low}"
            )
        if high is not None and value > high:
            raise ValueError(f"{raw} 应不大于 {high} / {raw} must be at most {high}")
        return value

    return parse


def yuan_to_fen(raw: str) -> int:
    """Amount in yuan (at most two decimals, never negative) → integer fen."""
    if len(raw) < len(str(MAX_YUAN)) and raw.isascii() and raw.isdigit():
        return int(raw) * 100  # whole yuan below MAX_YUAN, as most files write them: what Decimal gives
    value = _decimal(raw)
    if value < 0:
        raise ValueError(f"金额 {raw} 为负数 / amount {raw} is negative")
    if value > MAX_YUAN:
        raise ValueError(
            f"金额 {raw} 大得不合理（超过 {MAX_YUAN:,} 元）/ "
            f"amount {raw} is implausibly large (above {MAX_YUAN:,} yuan)"
        )
    fen = value * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"金额 {raw} 超过两位小数 / amount {raw} has more than two decimals")
    return int(fen)


def one_of(enum: type[StrEnum]) -> Parser:
    """A code of ``enum``, given as the code or as its Chinese name (service/vocabulary.py)."""
    accepted = code_of(enum)
    codes = ", ".join(member.value for member in enum)
    names = "、".join(name for name in accepted if name not in enum.__members__)

    def parse(raw: str) -> str:
        code = accepted.get(raw)
        if code is None:
            raise ValueError(f"{shown(raw)} 不是可用的取值（{names or codes}）/ {shown(raw)} is not one of {codes}")
        return code

    return parse


def list_of(enum: type[StrEnum]) -> Parser:
    item = one_of(enum)

    def parse(raw: str) -> list[str]:
        values = [part.strip() for part in _LIST_SEPARATOR.split(raw) if part.strip()]
        return sorted({item(value) for value in values})

    return parse


def grade(raw: str) -> str:
    value = raw.upper()
    if value not in {"A", "B", "C", "D", "E"}:
        raise ValueError(
            f"{shown(raw)} 不是等级，请填 A、B、C、D 或 E / {shown(raw)} is not a grade: use A, B, C, D or E"
        )
    return value
