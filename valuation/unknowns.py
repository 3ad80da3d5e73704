"""Unknown counts and amounts (NaN in the portfolio's columns) read as the value a rule counts them as."""

from __future__ import annotations

import numpy as np


def filled(values: np.ndarray, unknown: float) -> np.ndarray:
    """``values`` with NaN replaced by ``unknown`` — ``np.nan_to_num(values, nan=unknown)`` for the
    finite and NaN entries in a third of the time (±inf stay as they are: no count is infinite)."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isnan(values), unknown, values)
