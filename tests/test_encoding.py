"""The fast JSON of stored valuations (service/encoding.py) against the standard library's.

`fast_canonical` is the text the inputs hash is taken over: it must be byte for byte the text of
`json.dumps(sort_keys=True)` for every input, or a re-run would store its valuations again under
new hashes. `fast_dumps` is what the JSON columns store: the same text but for a float's exponent
(the same number read back), and exactly the standard library's where msgspec's would differ.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from functools import partial

import pytest

from service.encoding import Encoded, column_dumps, dumps, fast_canonical, fast_dumps
from service.valuations.records import inputs_hash


def stdlib_text(value, *, sort_keys: bool = False) -> str:
    """The canonical text, written out here (not `service.encoding.dumps`): dates as ISO text,
    Decimals as their str, sets sorted."""

    def default(item):
        if isinstance(item, date):  # datetime too
            return item.isoformat()
        if isinstance(item, Decimal):
            return str(item)
        if isinstance(item, set | frozenset):
            return sorted(item)
        raise TypeError(type(item).__name__)

    return json.dumps(value, default=default, ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":"))


def every_character() -> list[str]:
    """Every Unicode scalar value (no lone surrogate: neither encoder writes one as UTF-8), in
    strings of 4,096 characters, plus the characters escaped in JSON on their own."""
    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    text = "".join(map(chr, points))
    return [text[i : i + 4096] for i in range(0, len(text), 4096)] + [chr(c) for c in range(0x20)] + ['"', "\\", "\x7f"]


DECIMALS = [
    "0",
    "-0",
    "0.00",
    "1E+2",
    "1E-7",
    "0.0000001",
    "123456789012345678901234567890.123456789",
    "-5.5",
    "1.10",
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "9.99E+999",
    "-0E-12",
]


def realistic_records(n: int = 300) -> list[dict]:
    """Records as `valuation_record` gives them from stored patents, drawn at random: every field
    type (str, int, bool, None, date, Decimal yuan) and the Chinese text of titles."""
    rng = random.Random(15)
    titles = ["一种基于深度学习的图像识别方法", "用于电池热管理的装置及系统", 'Method & apparatus "quoted"\n', ""]
    records = []
    for i in range(n):
        fen = rng.choice([None, 0, 1, 99, 12_345_678_901, rng.randrange(10**12)])
        records.append(
            {
                "application_no": f"CN20{rng.randrange(10**10):010d}.{rng.randrange(10)}",
                "title": rng.choice(titles) + chr(rng.randrange(0x4E00, 0x9FFF)),
                "patent_type": rng.choice(["invention", "utility_model", "design"]),
                "filing_date": date(2000, 1, 1) + timedelta(days=rng.randrange(9000)),
                "grant_date": rng.choice([None, date(2010, 5, 17)]),
                "fees_paid_through_year": rng.choice([None, rng.randrange(21)]),
                "forward_citations": rng.randrange(500),
                "co_owners_consent": rng.random() < 0.5,
                "annual_revenue_yuan": None if fen is None else Decimal(fen) / 100,
                "pledged": i % 7 == 0,
                "max_pledge_amount_yuan": rng.choice([None, Decimal(500_000_00) / 100, Decimal(1) / 100]),
            }
        )
    return records


CONTEXT = hashlib.sha256(b"a reference").hexdigest()


class Colour(StrEnum):
    red = "red"


class Label(str):
    pass


EDGE_VALUES = [
    *every_character(),
    *map(Decimal, DECIMALS),
    date(1, 1, 1),
    date(5, 6, 7),
    date(9999, 12, 31),
    0,
    -1,
    2**63,
    -(2**64) - 1,
    10**400,
    True,
    False,
    None,
    # Types msgspec writes otherwise (or refuses): the canonical text must still be `dumps`'.
    1e-05,
    1e16,
    1e22,
    1.5e300,
    5e-324,
    -0.0,
    0.1,
    float("nan"),
    float("inf"),
    datetime(2025, 6, 30, 12, 0, tzinfo=UTC),
    datetime(2025, 6, 30, 12, 0, 0, 1500),
    datetime(2025, 6, 30, tzinfo=timezone(timedelta(hours=8))),
    Colour.red,
    Label("a str subclass"),
    {3, 1, 2},
    ["a", 1, Decimal("2.5")],
    {"nested": {"b": 1, "a": [date(2020, 1, 1)]}},
]


def test_the_hash_text_is_the_standard_librarys_for_realistic_and_edge_records():
    records = realistic_records()
    for value in EDGE_VALUES:
        records.append({"application_no": "CN1", "z": value, "a": value, "é": 1, "\U0001f600": 2})
    records += [{"b": 1, 2: "an int key", "a": 3}, {2: "b", 1: "a"}, {"surrogate": "\ud800"}]
    for record in records:
        wrapped = {"record": record, "context": CONTEXT}
        assert outcome(fast_canonical, wrapped) == outcome(partial(stdlib_text, sort_keys=True), wrapped), record


def outcome(encode, value):
    """The text, or the error raised (its type), of encoding `value` and writing it as UTF-8 (a
    lone surrogate passes json.dumps and fails there)."""
    try:
        return encode(value).encode("utf-8")
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        return type(exc)


def test_the_inputs_hash_is_sha256_of_the_standard_librarys_canonical_text():
    for record in realistic_records(50):
        text = stdlib_text({"record": record, "context": CONTEXT}, sort_keys=True)
        assert inputs_hash(record, CONTEXT) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    # One record written out, its digest computed once by hand from the text above: a change of
    # the canonical text itself (key order, separators, escaping) shows here.
    record = {
        "title": "图像识别",
        "filing_date": date(2020, 2, 29),
        "annual_revenue_yuan": Decimal("1234.50"),
        "claims": 10,
        "pledged": False,
        "lapse_date": None,
    }
    text = (
        '{"context":"c","record":{"annual_revenue_yuan":"1234.50","claims":10,"filing_date":"2020-02-29",'
        '"lapse_date":null,"pledged":false,"title":"图像识别"}}'
    )
    assert stdlib_text({"record": record, "context": "c"}, sort_keys=True) == text
    assert inputs_hash(record, "c") == hashlib.sha256(text.encode()).hexdigest()


def test_stored_text_is_the_standard_librarys_or_reads_back_the_same():
    values = [*realistic_records(), *EDGE_VALUES, {"values": EDGE_VALUES[-30:]}]
    for value in values:
        text = fast_dumps(value)
        assert isinstance(text, Encoded)
        if isinstance(value, set):  # not for sets: msgspec keeps their order (documented)
            continue
        expected = stdlib_text(value)
        if text != expected:  # only a float's exponent is written otherwise: the same numbers
            assert re.search(r"\d[eE][+-]?\d", expected) and json.loads(text) == json.loads(expected), value


@pytest.mark.parametrize("value", [1e-05, 1e16, 1e22, 1.5e300, 5e-324, 1.2345678901234568e17, -2.5e-8])
def test_tiny_and_huge_floats_read_back_as_the_same_numbers(value):
    text = fast_dumps({"score": value, "list": [value]})
    assert json.loads(text) == {"score": value, "list": [value]}


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        float("inf"),
        -float("inf"),
        {"reasons": [{"values": {"ratio": float("nan")}}], "score": None},
        [None, 1.0, [float("-inf")]],
        datetime(2025, 6, 30, 12, 0, tzinfo=UTC),
        {"at": datetime(2025, 6, 30, 12, 0, 0, 123, tzinfo=UTC)},
        {True: 1},
    ],
)
def test_where_msgspec_writes_otherwise_the_standard_librarys_text_is_stored(value):
    """NaN and infinities (msgspec: null; the standard library: NaN, which PostgreSQL refuses and
    SQLite keeps), UTC datetimes (Z, not +00:00) and keys msgspec refuses: exactly `dumps`."""
    assert fast_dumps(value) == dumps(value) == stdlib_text(value)


def test_the_engines_store_encoded_text_as_it_is_and_encode_the_rest():
    assert column_dumps(fast_dumps({"a": 1})) == '{"a":1}'
    assert column_dumps('{"a":1}') == '"{\\"a\\":1}"'  # a plain str is a JSON string
    assert column_dumps({"at": datetime(2025, 1, 1, tzinfo=UTC)}) == '{"at":"2025-01-01T00:00:00+00:00"}'
