"""Chinese identifiers with check characters: patent application numbers and credit codes.

Both validators return the canonical form or raise ``ValueError`` with a message a county
clerk can act on (it names the check character that was expected).
"""

from __future__ import annotations

import re

# CNIPA application numbers since 2003: YYYY T NNNNNNN . C (12 digits + check).
# Before 2003: YY T NNNNN . C (8 digits + check), weights 2..9.
_WEIGHTS_12 = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_WEIGHTS_8 = (2, 3, 4, 5, 6, 7, 8, 9)
_APPLICATION_NO = re.compile(r"^(?:CN|ZL)?\s*(\d{12}|\d{8})\s*\.?\s*([0-9X])$")
PATENT_TYPE_DIGITS = {"1": "invention", "2": "utility_model", "3": "design", "8": "invention", "9": "utility_model"}


def application_check_char(digits: str) -> str:
    """Check character of an application number's 8 or 12 digits: Σ dᵢ·wᵢ mod 11, 10 → X."""
    weights = _WEIGHTS_12 if len(digits) == 12 else _WEIGHTS_8
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_application_no(raw: str) -> str:
    """``'CN 2017106018623'`` → ``'201710601862.3'``; raises ValueError when malformed."""
    text = raw.strip().upper().replace(" ", "")
    match = _APPLICATION_NO.match(text)
    if not match:
        raise ValueError(
            f"申请号格式不正确 / malformed application number {raw!r}: "
            "expected YYYYTNNNNNNN.C (12 digits and a check character)"
        )
    digits, check = match.groups()
    expected = application_check_char(digits)
    if check != expected:
        raise ValueError(f"申请号校验位错误 / wrong check character in {raw!r}: got {check}, expected {expected}")
    if len(digits) == 12 and digits[4] not in PATENT_TYPE_DIGITS:
        raise ValueError(f"申请号类型位无效 / unknown patent type digit {digits[4]!r} in {raw!r}")
    return f"{digits}.{check}"


def application_type(application_no: str) -> str | None:
    """Patent type implied by a canonical 12-digit application number, None for 8-digit ones."""
    digits = application_no.split(".")[0]
    return PATENT_TYPE_DIGITS.get(digits[4]) if len(digits) == 12 else None


# GB 32100-2015 unified social credit code.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_ALPHABET)}


def credit_check_char(body: str) -> str:
    """Check character of the first 17 characters: (31 − Σ cᵢ·wᵢ mod 31) mod 31."""
    total = sum(_CREDIT_VALUE[c] * w for c, w in zip(body, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(raw: str) -> str:
    """Upper-cased, stripped credit code; raises ValueError when malformed or the check fails."""
    code = raw.strip().upper()
    if len(code) != 18:
        raise ValueError(f"统一社会信用代码应为18位 / credit code {raw!r} must have 18 characters, has {len(code)}")
    bad = sorted({c for c in code if c not in _CREDIT_VALUE})
    if bad:
        raise ValueError(
            f"统一社会信用代码含无效字符 / credit code {raw!r} has invalid characters {''.join(bad)} "
            "(I, O, S, V, Z are never used)"
        )
    expected = credit_check_char(code[:17])
    if code[17] != expected:
        raise ValueError(
            f"统一社会信用代码校验位错误 / wrong check character in credit code {raw!r}: "
            f"got {code[17]}, expected {expected}"
        )
    return code
