"""A bank's own resources: its pledge products and its pledge registrations.

Every statement is scoped to the calling bank (`own_products`, `own_registrations`): another
bank's product or registration is not found (404), whatever its id or number.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import Select, select
from sqlmodel import Session

from service import audit
from service.auth.keys import Principal
from service.banks.schemas import ProductUpdate
from service.errors import ApiError, not_found
from service.models import Bank, PledgeProduct, PledgeRegistration
from service.models.types import utcnow


def own_products(principal: Principal) -> Select:
    return (
        select(PledgeProduct, Bank.code)
        .join(Bank, Bank.id == PledgeProduct.bank_id)
        .where(PledgeProduct.bank_id == principal.bank_id)
        .order_by(PledgeProduct.code)
    )


def own_product(session: Session, principal: Principal, product_id: int) -> tuple[PledgeProduct, str]:
    row = session.execute(own_products(principal).where(PledgeProduct.id == product_id)).first()
    if row is None:
        raise not_found("product", product_id)
    return row[0], row[1]


def _problems(product: PledgeProduct) -> list[dict[str, str]]:
    problems = []

    def check(ok: bool, field: str, message: str) -> None:
        if not ok:
            problems.append({"field": field, "message": message})

    rate = product.pledge_rate
    check(rate.is_finite() and 0 < rate <= 1, "pledge_rate", "pledge_rate must be in (0, 1]")
    for name in ("interest_rate_min", "interest_rate_max"):
        value = getattr(product, name)
        check(value.is_finite() and 0 <= value <= 100, name, f"{name} must be 0–100 (percent)")
    if problems:  # the comparisons below need valid numbers
        return problems
    check(product.min_amount_fen <= product.max_amount_fen, "max_amount_fen", "max_amount_fen below min_amount_fen")
    check(
        product.interest_rate_min <= product.interest_rate_max, "interest_rate_max", "interest_rate_max below minimum"
    )
    check(product.term_min_months <= product.term_max_months, "term_max_months", "term_max_months below minimum")
    start, end = product.quota_period_start, product.quota_period_end
    check((start is None) == (end is None), "quota_period_end", "give both quota period dates, or neither")
    check(start is None or end is None or start <= end, "quota_period_end", "quota period ends before it starts")
    return problems


def update_product(
    session: Session, principal: Principal, product_id: int, data: ProductUpdate
) -> tuple[PledgeProduct, str]:
    """Apply the sent fields to the bank's own product; the result must be consistent as a whole."""
    product, bank_code = own_product(session, principal, product_id)
    changes = {name: value for name, value in msgspec.structs.asdict(data).items() if value is not msgspec.UNSET}
    if not changes:
        raise ApiError(422, "nothing_to_change", "send at least one field to change")
    before: dict[str, Any] = {name: getattr(product, name) for name in changes}
    for name, value in changes.items():
        setattr(product, name, value)
    problems = _problems(product)
    if problems:
        session.expire(product)
        raise ApiError(422, "invalid_product", "the product would be inconsistent; details say why", problems)
    product.updated_at = utcnow()
    audit.record(
        session,
        actor=principal.name,
        action="product.update",
        entity_type="pledge_product",
        entity_id=str(product.id),
        before=before,
        after=changes,
    )
    session.flush()
    return product, bank_code


def own_registrations(principal: Principal) -> Select:
    return (
        select(PledgeRegistration)
        .where(PledgeRegistration.bank_id == principal.bank_id)
        .order_by(PledgeRegistration.registration_date.desc(), PledgeRegistration.registration_no)
    )


def own_registration(session: Session, principal: Principal, registration_no: str) -> PledgeRegistration:
    registration = session.scalars(
        own_registrations(principal).where(PledgeRegistration.registration_no == registration_no.upper())
    ).first()
    if registration is None:
        raise not_found("registration", registration_no)
    return registration
