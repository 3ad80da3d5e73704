"""Partner banks and their pledge products (public product information), and a bank's own
products (read and update) and pledge registrations under `/api/v1/bank` (bank keys)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch
from litestar.params import FromPath, FromQuery, JSONBody, PathParameter
from sqlalchemy import select

from service.auth.keys import Principal
from service.banks import service as own
from service.banks.schemas import BankRead, ProductRead, ProductUpdate
from service.deps import Authorized, Caller, DbSession, is_staff, require
from service.errors import PUBLIC_READ, error_responses, not_found
from service.models import Bank, PledgeProduct
from service.pagination import Limit, Offset, Page, paginate
from service.structs import from_row
from service.whitelist.schemas import RegistrationRead
from service.whitelist.service import registration_read


def bank_read(bank: Bank, principal: Principal | None) -> BankRead:
    """A bank's contact person and phone are for staff only (README "Who may read what")."""
    if is_staff(principal):
        return from_row(BankRead, bank)
    return from_row(BankRead, bank, contact_person=None, contact_phone=None)


def product_read(product: PledgeProduct, bank_code: str) -> ProductRead:
    return from_row(ProductRead, product, bank_code=bank_code)


class BankController(Controller):
    path = "/api/v1"
    tags = ["banks"]

    @get("/banks", sync_to_thread=True, responses=PUBLIC_READ, summary="List partner banks")
    def list_banks(
        self, db_session: DbSession, principal: Caller, limit: Limit = 50, offset: Offset = 0
    ) -> Page[BankRead]:
        rows, total = paginate(db_session, select(Bank).order_by(Bank.code), limit, offset)
        return Page([bank_read(bank, principal) for (bank,) in rows], total, limit, offset)

    @get("/banks/{code:str}", sync_to_thread=True, responses=PUBLIC_READ, summary="One partner bank")
    def get_bank(self, db_session: DbSession, principal: Caller, code: FromPath[str]) -> BankRead:
        bank = db_session.scalars(select(Bank).where(Bank.code == code.upper())).first()
        if bank is None:
            raise not_found("bank", code)
        return bank_read(bank, principal)

    @get("/products", sync_to_thread=True, responses=PUBLIC_READ, summary="List pledge products")
    def list_products(
        self,
        db_session: DbSession,
        bank: FromQuery[str | None] = None,
        active: FromQuery[bool | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[ProductRead]:
        statement = select(PledgeProduct, Bank.code).join(Bank).order_by(Bank.code, PledgeProduct.code)
        if bank:
            statement = statement.where(Bank.code == bank.upper())
        if active is not None:
            statement = statement.where(PledgeProduct.active == active)
        rows, total = paginate(db_session, statement, limit, offset)
        return Page([product_read(product, code) for product, code in rows], total, limit, offset)

    @get("/products/{product_id:int}", sync_to_thread=True, responses=PUBLIC_READ, summary="One pledge product")
    def get_product(self, db_session: DbSession, product_id: FromPath[int]) -> ProductRead:
        row = db_session.execute(
            select(PledgeProduct, Bank.code).join(Bank).where(PledgeProduct.id == product_id)
        ).first()
        if row is None:
            raise not_found("product", product_id)
        return product_read(*row)


ProductId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="product id")]
_OWN_READ = error_responses(
    400,
    401,
    403,
    404,
    examples={
        401: [("invalid_api_key", "the API key is unknown or revoked")],
        403: [("forbidden", "this needs the role bank")],
        404: [("not_found", "product 7 not found")],
    },
)
_OWN_WRITE = error_responses(
    400,
    401,
    403,
    404,
    409,
    413,
    422,
    examples={
        404: [("not_found", "product 7 not found")],
        422: [("invalid_product", "the product would be inconsistent; details say why")],
    },
)


class OwnBankController(Controller):
    """The calling bank's own products and registrations; another bank's are 404."""

    path = "/api/v1/bank"
    tags = ["banks"]
    dependencies = {"bank": require("bank")}

    @get("/products", sync_to_thread=True, responses=_OWN_READ, summary="The calling bank's pledge products")
    def products(
        self, db_session: DbSession, bank: Authorized, limit: Limit = 50, offset: Offset = 0
    ) -> Page[ProductRead]:
        rows, total = paginate(db_session, own.own_products(bank), limit, offset)
        return Page([product_read(product, code) for product, code in rows], total, limit, offset)

    @get("/products/{product_id:int}", sync_to_thread=True, responses=_OWN_READ, summary="One of the bank's products")
    def product(self, db_session: DbSession, bank: Authorized, product_id: ProductId) -> ProductRead:
        return product_read(*own.own_product(db_session, bank, product_id))

    @patch(
        "/products/{product_id:int}",
        sync_to_thread=True,
        responses=_OWN_WRITE,
        summary="Change the bank's own product: rate, amount range, term, quota, active",
        description="Only the fields sent change; null clears a quota field. The product must stay "
        "consistent (min ≤ max, both quota dates or neither); every change is audited.",
    )
    def update_product(
        self, db_session: DbSession, bank: Authorized, product_id: ProductId, data: JSONBody[ProductUpdate]
    ) -> ProductRead:
        return product_read(*own.update_product(db_session, bank, product_id, data))

    @get(
        "/registrations",
        sync_to_thread=True,
        responses=_OWN_READ,
        summary="The bank's pledge registrations (patents, trademarks, other IP)",
    )
    def registrations(
        self, db_session: DbSession, bank: Authorized, limit: Limit = 50, offset: Offset = 0
    ) -> Page[RegistrationRead]:
        rows, total = paginate(db_session, own.own_registrations(bank), limit, offset)
        return Page([registration_read(db_session, r) for (r,) in rows], total, limit, offset)

    @get(
        "/registrations/{registration_no:str}",
        sync_to_thread=True,
        responses=_OWN_READ,
        summary="One of the bank's pledge registrations",
    )
    def registration(self, db_session: DbSession, bank: Authorized, registration_no: FromPath[str]) -> RegistrationRead:
        return registration_read(db_session, own.own_registration(db_session, bank, registration_no[:40]))
