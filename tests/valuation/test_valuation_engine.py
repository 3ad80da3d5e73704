"""The library's contract with the service: record keys and types, JSON safety, determinism,
isolation from the service stack, parameter files with sources."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from valuation import MODEL_VERSION, Portfolio, Reference, build_reference, load_params, shipped_reference, valuate
from valuation.explain import INDICATOR_NAMES
from valuation.params import PARAMS_DIR, SECTIONS, ParameterError
from valuation.simulation import simulate_portfolio

AS_OF = date(2025, 6, 30)
KEYS = {
    "application_no",
    "score",
    "legal_score",
    "technical_score",
    "economic_score",
    "grade",
    "eligible",
    "reasons",
    "high_value",
    "high_value_flags",
    "risk_flags",
    "p_alive_1y",
    "p_alive_3y",
    "p_alive_5y",
    "expected_life_years",
    "value_p10_yuan",
    "value_p50_yuan",
    "value_p90_yuan",
    "max_loan_yuan",
    "explanation",
    "model_version",
    "remaining_term_years",
    "next_fee_due",
    "expiry_date",
}


def json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable: {type(value)}")


@pytest.fixture(scope="module")
def sim_result():
    sim = simulate_portfolio(1500, AS_OF, seed=42)
    portfolio = Portfolio.from_records(sim.records)
    return sim, valuate(portfolio, AS_OF, reference=build_reference(portfolio, AS_OF), seed=0)


def test_records_have_the_contract_keys_and_types(sim_result):
    sim, result = sim_result
    rows = result.records()
    assert len(rows) == len(sim.records)
    json.dumps(rows, default=json_default)  # everything but Decimal/date is plain JSON
    for row in rows:
        assert set(row) >= KEYS
        assert row["grade"] in {"A", "B", "C", "D", "E"}
        assert isinstance(row["eligible"], bool) and isinstance(row["high_value"], bool)
        assert row["model_version"].startswith(MODEL_VERSION) and len(row["model_version"]) <= 40
        for key in ("value_p10_yuan", "value_p50_yuan", "value_p90_yuan", "max_loan_yuan"):
            assert row[key] is None or (
                isinstance(row[key], Decimal) and row[key] == row[key].quantize(Decimal("0.01"))
            )
        if row["value_p50_yuan"] is None:
            assert "no_revenue" in {r["code"] for r in row["reasons"]}
        else:
            assert row["value_p10_yuan"] <= row["value_p50_yuan"] <= row["value_p90_yuan"]
        assert sum(e["contribution"] for e in row["explanation"]) == pytest.approx(row["score"], abs=0.1)
        contributions = [abs(e["contribution"]) for e in row["explanation"]]
        assert contributions == sorted(contributions, reverse=True)
        for reason in row["reasons"] + row["risk_flags"]:
            assert set(reason) >= {"code", "message", "values"} and reason["message"]
        assert row["eligible"] == (not any(r["blocking"] for r in row["reasons"]))
    assert {r["grade"] for r in rows} >= {"B", "C", "D", "E"}
    assert any(r["high_value"] for r in rows) and any(r["eligible"] for r in rows)


def test_each_explanation_sentence_states_its_own_value_and_points(sim_result):
    """The sentences are formatted an indicator at a time for all patents, then ordered per patent:
    each must still read its own entry's value and points, and its indicator's full points."""
    _, result = sim_result
    names = [name for _, name in result.scores.indicators]
    full = dict(zip(names, np.round(result.scores.full_points, 2).tolist(), strict=True))
    value_text = {
        "remaining_term": "剩余{:.1f}年",
        "survival": "按维持模型预计还将维持{:.1f}年",
        "claims": "{}项权利要求",
        "family_coverage": "同族{}件",
        "transactions": "{}次",
    }
    seen = set()
    for row in result.records():
        assert sorted(e["indicator"] for e in row["explanation"]) == sorted(names)
        for entry in row["explanation"]:
            name, value, text = entry["indicator"], entry["value"], entry["text"]
            assert text.startswith(INDICATOR_NAMES[name] + "：") and text.endswith(f"（满分{full[name]:.1f}分）")
            if value is None and name == "income_value":
                assert "无产品收入数据，不计分" in text
            else:
                assert f"，得{entry['contribution']:.1f}分（" in text
                if value is None:
                    assert "：未知，" in text
                elif name in value_text:
                    assert value_text[name].format(value) in text
            seen.add((name, value is None))
    assert {("income_value", True), ("income_value", False)} <= seen


def test_subscores_combine_to_the_score(sim_result):
    _, result = sim_result
    w = result.params.scoring["dimension_weights"]
    combined = (
        w["legal"] * result.legal_score
        + w["technical"] * result.technical_score
        + w["economic"] * result.economic_score
    )
    np.testing.assert_allclose(combined, result.score, atol=1e-9)


def test_same_seed_same_result_and_stored_reference_reproduces(sim_result):
    sim, result = sim_result
    portfolio = Portfolio.from_records(sim.records)
    stored = Reference.from_dict(json.loads(json.dumps(result.reference.to_dict())))
    assert stored == result.reference and stored.name.startswith("portfolio:2025-06-30")
    again = valuate(portfolio, AS_OF, reference=stored, seed=0)
    assert again.records() == result.records()
    other_seed = valuate(portfolio, AS_OF, reference=stored, seed=1)
    finite = np.isfinite(result.value_p50) & (result.value_p50 > 0)
    assert not np.array_equal(other_seed.value_p50[finite], result.value_p50[finite])
    # 1,000 draws: the median moves by a few per cent between seeds, not more.
    assert np.median(np.abs(other_seed.value_p50[finite] / result.value_p50[finite] - 1)) < 0.03


def test_a_patent_gets_the_same_result_alone_or_in_any_company(sim_result):
    sim, result = sim_result
    rows = result.records()
    for i in (3, 11, 400):
        alone = valuate(Portfolio.from_records([sim.records[i]]), AS_OF, reference=result.reference, seed=0)
        assert alone.records() == [rows[i]]
    default = valuate(Portfolio.from_records(sim.records[:5]), AS_OF)
    assert default.reference.name.startswith("shipped:") and len(default.model_version) <= 40
    first_two = valuate(Portfolio.from_records(sim.records[:2]), AS_OF).records()
    assert default.records()[:2] == first_two


def test_records_in_chunks_are_the_records_of_the_whole(sim_result):
    # a portfolio run turns its results into records a chunk at a time
    _, result = sim_result
    rows = result.records()
    chunks = [result.records(range(start, min(start + 333, len(rows)))) for start in range(0, len(rows), 333)]
    assert [row for chunk in chunks for row in chunk] == rows
    assert result.records([7, 2, 7]) == [rows[7], rows[2], rows[7]]


def test_small_batches_never_carry_their_own_reference(sim_result):
    sim, _ = sim_result
    few = Portfolio.from_records(sim.records[:150])
    assert build_reference(few, AS_OF).name == shipped_reference().name


def test_library_does_not_import_the_service_stack():
    code = (
        "import sys, valuation, valuation.simulation; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "{'service', 'matching', 'litestar', 'sqlalchemy', 'sqlmodel'}]; print(bad); assert not bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_parameter_file_states_source_and_date():
    for name in SECTIONS:
        with (PARAMS_DIR / f"{name}.toml").open("rb") as handle:
            data = tomllib.load(handle)
        assert data["source"].strip() and date.fromisoformat(str(data["effective_from"]))


def test_inconsistent_parameters_are_rejected():
    params = load_params()
    with pytest.raises(ValueError, match="sum to"):
        params.with_overrides({"scoring": {"dimension_weights": {"legal": 0.5}}})
    with pytest.raises(ValueError, match="draws"):
        params.with_overrides({"income": {"draws": 10}})
    with pytest.raises(ParameterError, match="unknown parameter file"):
        params.with_overrides({"nonsense": {}})


def test_bad_codes_are_reported(make_record):
    with pytest.raises(ValueError, match="commercialization"):
        Portfolio.from_records([make_record(commercialization="mass_market")])


def test_empty_portfolio():
    result = valuate(Portfolio.from_records([]), AS_OF)
    assert result.records() == [] and result.survival.source == "reference"


def test_records_for_chosen_indices_are_those_records(sim_result):
    _, result = sim_result
    everything = result.records()
    chosen = [7, 0, len(everything) - 1]
    assert result.records(chosen) == [everything[i] for i in chosen]
