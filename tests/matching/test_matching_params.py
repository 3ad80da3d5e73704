"""Matching parameters: read once per file, and a malformed file names the file, key and problem."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from matching import default_params, load_params
from matching.params import ParameterError

SHIPPED = resources.files("matching").joinpath("params.toml").read_text(encoding="utf-8")


def test_the_shipped_file_is_read_once():
    assert default_params() is load_params() is default_params()
    assert default_params().default_term_months == 12


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        ("default_months = 12", 'default_months = "12"', "term.default_months", "expected int"),
        ("default_months = 12", "default_months = 0", "term.default_months", "must be positive"),
        ("parallel_track_bonus = 0.20", "", "fit.parallel_track_bonus", "missing required key"),
        ("parallel_track_bonus = 0.20", "parallel_track_bonus = 1.5", "fit.parallel_track_bonus", "[0, 1)"),
        (
            "require_current_loan = true",
            "require_current_loan = 1",
            "parallel_track.require_current_loan",
            "expected bool",
        ),
        ('order = ["A", "B", "C", "D", "E"]', 'order = ["A", "A"]', "grades.order", "distinct"),
        ("best_rate_pct = 3.0", "best_rate_pct = 9.0", "fit.price.best_rate_pct", "below"),
        ("[solver]", "[solver", "", "not valid TOML"),
    ],
)
def test_a_malformed_file_names_file_key_and_problem(tmp_path: Path, old, new, key, problem):
    assert old in SHIPPED
    path = tmp_path / "params.toml"
    path.write_text(SHIPPED.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ParameterError) as caught:
        load_params(path)
    assert caught.value.file == str(path.resolve())
    assert caught.value.key == key and problem in caught.value.problem


def test_a_missing_file_is_named(tmp_path: Path):
    with pytest.raises(ParameterError, match="parameter file missing"):
        load_params(tmp_path / "nowhere.toml")
