"""Check characters of application numbers and credit codes: valid ones pass, any one change is caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.identifiers import (
    CREDIT_ALPHABET,
    application_check_char,
    credit_check_char,
    normalize_application_no,
    normalize_credit_code,
)


def test_known_numbers_from_the_documents():
    # DESIGN.md's example, and a published credit code (Fujian); written here, not computed.
    assert normalize_application_no("201710601862.3") == "201710601862.3"
    assert normalize_credit_code("91350100M000100Y43") == "91350100M000100Y43"
    with pytest.raises(ValueError, match="expected 3"):
        normalize_application_no("201710601862.4")


def test_check_digit_by_hand():
    # 2·2 + 0·3 + 1·4 + 7·5 + 1·6 + 0·7 + 6·8 + 0·9 + 1·2 + 8·3 + 6·4 + 2·5 = 157; 157 mod 11 = 3.
    assert application_check_char("201710601862") == "3"
    assert application_check_char("201810601862") == "8"  # year 2018: the 4th digit weighs 5; 162 mod 11 = 8


@pytest.mark.parametrize("raw", ["CN201710601862.3", "ZL201710601862.3", "2017106018623", " cn 2017106018623 "])
def test_application_number_spellings(raw):
    assert normalize_application_no(raw) == "201710601862.3"


@pytest.mark.parametrize("raw", ["", "20171060186.3", "2017A0601862.3", "201740601862.3"])
def test_malformed_application_numbers(raw):
    with pytest.raises(ValueError):
        normalize_application_no(raw)


def test_check_ten_is_written_x():
    # Find a 12-digit body whose weighted sum is 10 mod 11 by construction: serial adjusted.
    body = next(f"20201{n:07d}" for n in range(100) if application_check_char(f"20201{n:07d}") == "X")
    assert normalize_application_no(body + "X") == f"{body}.X"


applications = st.tuples(st.integers(1985, 2030), st.sampled_from("12389"), st.integers(0, 9_999_999)).map(
    lambda t: f"{t[0]}{t[1]}{t[2]:07d}"
)


@given(applications)
def test_every_valid_application_number_is_accepted(digits):
    number = f"{digits}.{application_check_char(digits)}"
    assert normalize_application_no(number) == number
    assert normalize_application_no("CN" + number.replace(".", "")) == number


@given(applications, st.integers(0, 12), st.integers(1, 10))
def test_any_single_changed_application_character_is_caught(digits, position, shift):
    number = digits + application_check_char(digits)
    alphabet = "0123456789X" if position == 12 else "0123456789"
    changed_char = alphabet[(alphabet.index(number[position]) + shift) % len(alphabet)]
    if changed_char == number[position]:
        return
    changed = number[:position] + changed_char + number[position + 1 :]
    with pytest.raises(ValueError):
        normalize_application_no(changed)


credit_bodies = st.text(alphabet=CREDIT_ALPHABET, min_size=17, max_size=17)


@given(credit_bodies)
def test_every_valid_credit_code_is_accepted(body):
    code = body + credit_check_char(body)
    assert normalize_credit_code(code.lower()) == code


@given(credit_bodies, st.integers(0, 17), st.integers(1, 30))
def test_any_single_changed_credit_character_is_caught(body, position, shift):
    code = body + credit_check_char(body)
    changed_char = CREDIT_ALPHABET[(CREDIT_ALPHABET.index(code[position]) + shift) % 31]
    changed = code[:position] + changed_char + code[position + 1 :]
    with pytest.raises(ValueError):
        normalize_credit_code(changed)


@pytest.mark.parametrize("raw", ["91350100M000100Y4", "91350100M000100YI3", "91350100M000100Y44"])
def test_malformed_credit_codes(raw):
    with pytest.raises(ValueError):
        normalize_credit_code(raw)
