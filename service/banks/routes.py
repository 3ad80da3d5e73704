"""Partner banks and their pledge products (public product information)."""

from __future__ import annotations

from litestar.params import FromPath, FromQuery
from litestar import Controller, get
from sqlalchemy import select

from service.banks.schemas import BankRead, ProductRead
from service.deps import DbSession
from service.errors import PUBLIC_READ, not_found
from service.models import Bank, PledgeProduct
from service.pagination import Limit, Offset, Page, paginate
from service.structs import from_row


def product_read(product: PledgeProduct, bank_code: str) -> ProductRead:
    return from_row(ProductRead, product, bank_code=bank_code)


class BankController(Controller):
    path = "/api/v1"
    tags = ["banks"]

    @get("/banks", sync_to_thread=True, responses=PUBLIC_READ, summary="List partner banks")
    def list_banks(self, db_session: DbSession, limit: Limit = 50, offset: Offset = 0) -> Page[BankRead]:
        rows, total = paginate(db_session, select(Bank).order_by(Bank.code), limit, offset)
        return Page([from_row(BankRead, bank) for (bank,) in rows], total, limit, offset)

    @get("/banks/{code:str}", sync_to_thread=True, responses=PUBLIC_READ, summary="One partner bank")
    def get_bank(self, db_session: DbSession, code: FromPath[str]) -> BankRead:
        bank = db_session.scalars(select(Bank).where(Bank.code == code.upper())).first()
        if bank is None:
            raise not_found("bank", code)
        return from_row(BankRead, bank)

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
