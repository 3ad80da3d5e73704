"""Pages under /ui: a demo county with proposals awaiting review, a staff user."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from ui_helpers import make_user


@pytest.fixture
def county(engine) -> list[int]:
    """The demo county (small), valued, with one matching run's proposals awaiting review (their ids)."""
    from service.db import transaction
    from service.matching.inputs import Population
    from service.matching.service import create_run
    from service.models import MatchProposal
    from service.models.types import utctoday
    from service.seed import load_demo

    load_demo(engine, scale=0.5, seed=7)
    with transaction(engine) as session:
        run = create_run(session, as_of=utctoday(), population=Population.all_enterprises, actor="test")
        ids = list(session.scalars(select(MatchProposal.id).where(MatchProposal.run_id == run.id)))
    assert len(ids) >= 2, "the test county must leave proposals to review"
    return ids


@pytest.fixture
def reviewer(engine) -> str:
    make_user(engine, "wang.li")
    return "wang.li"
