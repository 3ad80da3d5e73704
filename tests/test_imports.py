"""Import: every kind, encodings and XLSX, all-or-nothing, row/column errors, the CLI and the API."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path

import pytest
import small_county as county
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from service import vocabulary
from service.cli import main
from service.db import transaction
from service.imports import LOAD_ORDER, ImportRejected, import_batch, import_table, read_path
from service.imports.headers import chinese_names
from service.models import (
    Bank,
    CreditLoan,
    Enterprise,
    Patent,
    PledgedPatent,
    PledgeProduct,
    PledgeRegistration,
)


@pytest.fixture
def cli(database_url, monkeypatch):
    monkeypatch.setenv("IPFIN_DATABASE_URL", database_url)
    return main


def count(engine, model) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_whole_county_imports_with_typed_values(engine, tmp_path):
    county.load_county(engine, tmp_path)
    with transaction(engine) as session:
        patent = session.scalars(select(Patent).where(Patent.application_no == county.P1)).one()
        assert patent.annual_revenue_fen == 1_500_000 * 100
        assert patent.fees_paid_through_year == 12 and patent.co_owners_consent is True
        product = session.scalars(select(PledgeProduct).where(PledgeProduct.code == "IPLOAN")).one()
        assert product.eligible_clusters == ["energy_electronics", "equipment_manufacturing"]
        assert str(product.pledge_rate) == "0.3000"
        loan = session.scalars(select(CreditLoan).where(CreditLoan.kind == "knowledge_value")).one()
        assert (loan.limit_fen, loan.drawn_fen) == (400_000_000, 150_000_000)
        released, active = session.scalars(
            select(PledgeRegistration).order_by(PledgeRegistration.registration_date)
        ).all()
        assert released.released_date is not None and active.released_date is None
        links = session.execute(select(PledgedPatent.registration_id, PledgedPatent.released_date)).all()
        assert sorted(r is None for _, r in links) == [False, False, True]
    assert count(engine, Enterprise) == 3 and count(engine, Patent) == 4


def test_reimport_updates_instead_of_duplicating(engine, tmp_path):
    county.load_county(engine, tmp_path)
    rows = copy.deepcopy(county.ENTERPRISES)
    rows[0]["name"] = "重庆云阳绿源食品股份有限公司"
    with transaction(engine) as session:
        report = import_table(session, "enterprises", read_path(county.write_csv(tmp_path / "e.csv", rows)))
    assert (report.inserted, report.updated) == (0, 3)
    with transaction(engine) as session:
        names = session.scalars(select(Enterprise.name).where(Enterprise.credit_code == county.E1)).all()
    assert names == ["重庆云阳绿源食品股份有限公司"]


def test_wrong_check_character_rejects_whole_file_and_names_row_and_column(engine, tmp_path, cli, capsys):
    county.load_county(engine, tmp_path)
    rows = copy.deepcopy(county.PATENTS)
    for row in rows:
        row["title"] = "改过的标题"
    good = rows[2]["application_no"]
    wrong_check = "0" if good[-1] != "0" else "1"
    rows[2]["application_no"] = good[:-1] + wrong_check
    path = county.write_csv(tmp_path / "patents-bad.csv", rows)

    assert cli(["import", "patents", str(path)]) != 0
    err = capsys.readouterr().err
    assert "row 4, column application_no: " in err and "check character" in err
    with transaction(engine) as session:  # nothing written: no title changed
        assert set(session.scalars(select(Patent.title)).all()) == {"一种示例装置"}

    rows[2]["application_no"] = good
    assert cli(["import", "patents", str(county.write_csv(path, rows))]) == 0
    with transaction(engine) as session:
        assert set(session.scalars(select(Patent.title)).all()) == {"改过的标题"}


def test_every_bad_row_is_reported(engine, tmp_path):
    county.load_county(engine, tmp_path)
    rows = copy.deepcopy(county.PATENTS)
    rows[0]["grant_date"] = "2014-01-01"  # before filing
    rows[1]["legal_status"] = "alive"  # not an enum code
    rows[2]["owner_credit_code"] = county.credit_code(99)  # valid code, unknown enterprise
    rows[3]["claims"] = "-3"  # negative
    with transaction(engine) as session, pytest.raises(ImportRejected) as caught:
        import_table(session, "patents", read_path(county.write_csv(tmp_path / "p.csv", rows)))
    problems = {(e.row, e.column) for e in caught.value.errors}
    # Reference checks run once every row parses; the parse errors come first.
    assert {(2, "grant_date"), (3, "legal_status"), (5, "claims")} <= problems
    rows[0]["grant_date"], rows[1]["legal_status"], rows[3]["claims"] = "2017-06-01", "valid", "10"
    with transaction(engine) as session, pytest.raises(ImportRejected) as caught:
        import_table(session, "patents", read_path(county.write_csv(tmp_path / "p.csv", rows)))
    assert [(e.row, e.column) for e in caught.value.errors] == [(4, "owner_credit_code")]


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        ("filing_date", "2015-02-30", "not a calendar date"),
        ("annual_revenue_yuan", "12.345", "more than two decimals"),
        ("annual_revenue_yuan", "-1", "negative"),
        ("granted_abroad", "maybe", "not a boolean"),
        ("patent_type", "utility_model", "is a invention number"),
        ("fees_paid_through_year", "21", "above the maximum 20"),
        ("claims", "1e20", "above the maximum"),
        ("annual_revenue_yuan", "1e30", "implausibly large"),
        ("legal_status", "pending", "a pending application has no grant date"),
    ],
)
def test_cell_rules(engine, tmp_path, column, value, fragment):
    county.load_county(engine, tmp_path)
    rows = copy.deepcopy(county.PATENTS[:1])
    rows[0][column] = value
    with transaction(engine) as session, pytest.raises(ImportRejected) as caught:
        import_table(session, "patents", read_path(county.write_csv(tmp_path / "p.csv", rows)))
    assert any(fragment in e.message for e in caught.value.errors), caught.value.errors


def test_missing_required_column_and_duplicate_keys(engine, tmp_path):
    rows = [{k: v for k, v in row.items() if k != "industry_cluster"} for row in county.ENTERPRISES]
    with transaction(engine) as session, pytest.raises(ImportRejected) as caught:
        import_table(session, "enterprises", read_path(county.write_csv(tmp_path / "e.csv", rows)))
    assert [(e.row, e.column) for e in caught.value.errors] == [(1, "industry_cluster")]
    rows = [*copy.deepcopy(county.ENTERPRISES), dict(county.ENTERPRISES[0])]
    with transaction(engine) as session, pytest.raises(ImportRejected) as caught:
        import_table(session, "enterprises", read_path(county.write_csv(tmp_path / "e.csv", rows)))
    assert [(e.row, e.column) for e in caught.value.errors] == [(5, "credit_code")]
    assert count(engine, Enterprise) == 0


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(engine, tmp_path, encoding):
    path = county.write_csv(tmp_path / "e.csv", county.ENTERPRISES, encoding=encoding)
    with transaction(engine) as session:
        import_table(session, "enterprises", read_path(path))
    with transaction(engine) as session:
        assert "重庆云阳新能电子有限公司" in session.scalars(select(Enterprise.name)).all()


def test_xlsx_with_native_cells(engine, tmp_path):
    import datetime as dt

    workbook = Workbook()
    sheet = workbook.active
    header = list(county.ENTERPRISES[0])
    sheet.append(header)
    for row in county.ENTERPRISES:
        cells = [row[name] for name in header]
        cells[header.index("employees")] = int(row["employees"])  # numeric cell
        if row["high_tech_date"]:
            cells[header.index("high_tech_date")] = dt.datetime.fromisoformat(row["high_tech_date"])  # date cell
        sheet.append(cells)
    workbook.save(tmp_path / "e.xlsx")
    with transaction(engine) as session:
        import_table(session, "enterprises", read_path(tmp_path / "e.xlsx"))
    with transaction(engine) as session:
        e1 = session.scalars(select(Enterprise).where(Enterprise.credit_code == county.E1)).one()
    assert e1.employees == 120 and e1.high_tech_date == dt.date(2021, 11, 15)


def _in_chinese(kind: str, rows: list[dict], **values: dict[str, str]) -> list[dict]:
    """``rows`` with Chinese headers and, for the columns named, Chinese names for the codes."""
    names = chinese_names(kind)
    return [{names[k]: values.get(k, {}).get(v, v) for k, v in row.items() if k in names} for row in rows]


def test_chinese_headers_and_names_import_as_the_codes(engine, tmp_path):
    """A clerk's file: 统一社会信用代码, 产业集群 = 装备制造 …, GBK-encoded as Chinese Excel saves it; and
    a patents workbook whose types and statuses are written 发明专利 / 有效, lists with 「；」."""
    enterprises = _in_chinese("enterprises", county.ENTERPRISES, industry_cluster=vocabulary.CLUSTER)
    assert "产业集群" in enterprises[0] and enterprises[1]["产业集群"] == "装备制造"
    banks = _in_chinese("banks", county.BANKS)
    products = [dict(row, eligible_clusters="能源电子；装备制造") for row in county.PRODUCTS]
    with transaction(engine) as session:
        import_table(session, "banks", read_path(county.write_csv(tmp_path / "b.csv", banks)))
        import_table(session, "products", read_path(county.write_csv(tmp_path / "p.csv", products)))
        path = county.write_csv(tmp_path / "e.csv", enterprises, encoding="gbk")
        import_table(session, "enterprises", read_path(path))
    patents = _in_chinese(
        "patents",
        county.PATENTS,
        patent_type=vocabulary.PATENT_TYPE,
        legal_status=vocabulary.LEGAL_STATUS,
        commercialization=vocabulary.COMMERCIALIZATION,
    )
    workbook = Workbook()
    header = [name.replace("（元）", "(元)") for name in patents[0]]  # ASCII brackets read the same
    workbook.active.append(header)
    for row in patents:
        workbook.active.append(list(row.values()))
    workbook.save(tmp_path / "p.xlsx")
    with transaction(engine) as session:
        import_table(session, "patents", read_path(tmp_path / "p.xlsx"))
    with transaction(engine) as session:
        e2 = session.scalars(select(Enterprise).where(Enterprise.credit_code == county.E2)).one()
        p1 = session.scalars(select(Patent).where(Patent.application_no == county.P1)).one()
        product = session.scalars(select(PledgeProduct).where(PledgeProduct.code == "IPLOAN")).one()
    assert (e2.industry_cluster, e2.name, e2.employees) == (
        "equipment_manufacturing",
        county.ENTERPRISES[1]["name"],
        260,
    )
    assert (p1.patent_type, p1.legal_status, p1.commercialization) == ("invention", "valid", "production")
    assert p1.annual_revenue_fen == 1_500_000 * 100
    assert product.eligible_clusters == ["energy_electronics", "equipment_manufacturing"]


def test_row_errors_are_in_chinese_with_english_alongside(engine, tmp_path):
    rows = copy.deepcopy(county.ENTERPRISES)
    rows[0]["industry_cluster"] = "轻工业"
    rows[1]["employees"] = "很多"
    with transaction(engine) as session, pytest.raises(ImportRejected) as caught:
        import_table(session, "enterprises", read_path(county.write_csv(tmp_path / "e.csv", rows)))
    cluster, employees = caught.value.errors
    assert cluster.message.startswith("'轻工业' 不是可用的取值（绿色消费品、装备制造、能源电子、其他）/ ")
    assert "is not one of green_consumer" in cluster.message
    assert employees.message == "'很多' 不是数字 / '很多' is not a number"
    assert str(cluster).startswith("第 2 行 industry_cluster 列 / row 2, column industry_cluster: ")
    assert str(caught.value).startswith("enterprises：2 处问题，未写入任何数据 / enterprises: 2 problem(s)")


def test_a_column_named_in_english_and_in_chinese_is_refused(engine, tmp_path):
    rows = [dict(row, 产业集群=row["industry_cluster"]) for row in county.ENTERPRISES]
    with transaction(engine) as session, pytest.raises(ImportRejected) as caught:
        import_table(session, "enterprises", read_path(county.write_csv(tmp_path / "e.csv", rows)))
    [error] = caught.value.errors
    assert (error.row, error.column) == (1, "industry_cluster") and "出现两次" in error.message
    assert count(engine, Enterprise) == 0


def test_one_active_pledge_per_patent_is_enforced_by_the_database(engine, tmp_path):
    county.load_county(engine, tmp_path)
    with transaction(engine) as session:
        released = session.scalars(
            select(PledgeRegistration).where(PledgeRegistration.released_date.is_not(None))
        ).one()
        p1 = session.scalars(select(Patent.id).where(Patent.application_no == county.P1)).one()
    with pytest.raises(IntegrityError), transaction(engine) as session:
        # P1 is actively pledged in the 2025 registration; a second active link must fail.
        session.execute(
            PledgedPatent.__table__.update()
            .where(PledgedPatent.registration_id == released.id, PledgedPatent.patent_id == p1)
            .values(released_date=None)
        )


def test_pledge_import_refuses_a_patent_already_actively_pledged(engine, tmp_path):
    county.load_county(engine, tmp_path)
    rows = [{**county.PLEDGES[1], "registration_no": "Y2026500000789", "registration_date": "2026-05-01"}]
    with transaction(engine) as session, pytest.raises(ImportRejected) as caught:
        import_table(session, "pledges", read_path(county.write_csv(tmp_path / "pl.csv", rows)))
    assert "already in active pledge Y2025500000456" in caught.value.errors[0].message


def test_import_api_is_admin_only_and_answers_row_errors(client, tmp_path, admin_headers, reviewer_headers):
    path = county.write_csv(tmp_path / "banks.csv", county.BANKS)
    files = {"file": ("banks.csv", path.read_bytes(), "text/csv")}
    assert client.post("/api/v1/admin/imports/banks", files=files).status_code == 401
    assert client.post("/api/v1/admin/imports/banks", files=files, headers=reviewer_headers).status_code == 403
    response = client.post("/api/v1/admin/imports/banks", files=files, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"kind": "banks", "rows": 2, "inserted": 2, "updated": 0}

    rows = copy.deepcopy(county.ENTERPRISES)
    rows[1]["credit_code"] = rows[1]["credit_code"][:-1] + ("0" if rows[1]["credit_code"][-1] != "0" else "1")
    bad = county.write_csv(tmp_path / "e.csv", rows)
    response = client.post(
        "/api/v1/admin/imports/enterprises",
        headers=admin_headers,
        files={"file": ("e.csv", bad.read_bytes(), "text/csv")},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "import_rejected"
    assert body["details"][0]["row"] == 3 and body["details"][0]["column"] == "credit_code"
    assert client.get("/api/v1/enterprises").json()["total"] == 0

    response = client.post("/api/v1/admin/imports/planets", headers=admin_headers, files=files)
    assert response.status_code == 404 and response.json()["code"] == "unknown_import_kind"
    response = client.post(
        "/api/v1/admin/imports/banks", headers=admin_headers, files={"file": ("banks.txt", b"x", "text/plain")}
    )
    assert response.status_code == 400 and response.json()["code"] == "unreadable_file"


def test_example_files_import_together(engine):
    examples = Path(__file__).resolve().parent.parent / "docs" / "examples"
    with transaction(engine) as session:
        reports = import_batch(session, [(kind, read_path(examples / f"{kind}.csv")) for kind in LOAD_ORDER])
    assert [r.kind for r in reports] == list(LOAD_ORDER) and all(r.rows > 0 for r in reports)


def test_a_demo_without_pledges_loads_the_rest(engine, monkeypatch):
    """A small demo can draw no pledge (seen at scale 0.5 where the county's survival fit was
    degenerate): its empty pledges table is still a table with a header, not a refused file."""
    import dataclasses

    import service.demo
    from service.seed import load_demo

    build = service.demo.build_demo

    def without_pledges(**kwargs):
        dataset = build(**kwargs)
        return dataclasses.replace(dataset, tables={**dataset.tables, "pledges": []})

    monkeypatch.setattr(service.demo, "build_demo", without_pledges)
    load_demo(engine, scale=0.1, seed=1)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Patent)) > 0
        assert session.scalar(select(func.count()).select_from(PledgeRegistration)) == 0


def test_demo_county_loads_through_the_importer_and_is_valued(engine):
    from service.auth.keys import authenticate
    from service.demo import DEMO_AS_OF, build_demo
    from service.models import Target, Valuation, ValuationRun
    from service.seed import load_demo

    expected = {kind: len(rows) for kind, rows in build_demo().tables.items()}
    first = load_demo(engine)
    again = load_demo(engine)  # loading again refreshes the same rows: nothing doubles, no new keys
    assert again.staff_keys == {} and again.bank_keys == {}
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Enterprise)) == expected["enterprises"]
        assert session.scalar(select(func.count()).select_from(Patent)) == expected["patents"]
        assert session.scalar(select(func.count()).select_from(PledgeRegistration)) == expected["pledges"]
        assert session.scalar(select(func.count()).select_from(Valuation)) == expected["patents"]
        runs = session.scalars(select(ValuationRun)).all()
        assert [(r.status, r.as_of) for r in runs] == [("done", DEMO_AS_OF)] * 2
        assert {t.metric for t in session.scalars(select(Target))} >= {
            "pledge_amount",
            "high_value_patents",
            "ip_advantage_enterprises",
            "ip_standard_enterprises",
        }
        assert authenticate(session, first.staff_keys["admin"]).role == "admin"
        assert authenticate(session, first.staff_keys["reviewer"]).role == "reviewer"


def test_cli_says_when_the_database_cannot_be_reached(monkeypatch, capsys):
    monkeypatch.setenv("IPFIN_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert main(["targets"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: cannot use the database (127.0.0.1:1/none)") and "Traceback" not in err


def test_bulk_write_keeps_defaults_types_and_all_or_nothing(engine, tmp_path):
    """The bulk path (COPY through a staging table on PostgreSQL, the driver's executemany on
    SQLite) stores what a statement through SQLAlchemy would: Python-side defaults on insert and
    kept on update, UTC timestamps, JSON lists; and a later failure in the transaction undoes it."""
    county.load_county(engine, tmp_path)
    with transaction(engine) as session:
        bank = session.scalars(select(Bank).where(Bank.code == "CQRCB")).one()
        created = bank.created_at
        product = session.scalars(select(PledgeProduct).where(PledgeProduct.code == "IPLOAN")).one()
        assert created is not None and created.utcoffset() == timedelta(0)
        assert product.eligible_clusters == ["energy_electronics", "equipment_manufacturing"]
        assert product.requires_existing_customer is False and product.active is True
    rows = copy.deepcopy(county.BANKS)
    rows[0]["name"] = "改名后的银行"
    with transaction(engine) as session:
        import_table(session, "banks", read_path(county.write_csv(tmp_path / "b.csv", rows)))
        import_table(session, "banks", read_path(county.write_csv(tmp_path / "b2.csv", rows)))  # twice in one
    with transaction(engine) as session:
        bank = session.scalars(select(Bank).where(Bank.code == "CQRCB")).one()
        assert (bank.name, bank.created_at) == ("改名后的银行", created)
    renamed = copy.deepcopy(county.PATENTS)
    for row in renamed:
        row["title"] = "不会留下的标题"
    with pytest.raises(RuntimeError), transaction(engine) as session:
        import_table(session, "patents", read_path(county.write_csv(tmp_path / "p.csv", renamed)))
        raise RuntimeError("a later step of the same transaction fails")
    with transaction(engine) as session:
        assert "不会留下的标题" not in session.scalars(select(Patent.title)).all()
        assert session.scalar(select(func.count()).select_from(Patent)) == len(county.PATENTS)


def test_reimporting_the_county_reports_every_row_updated(engine, tmp_path):
    """The count of stored keys, per kind: one key column, several (products, credit loans), and
    pledges with their links replaced."""
    files = county.load_county(engine, tmp_path)
    with transaction(engine) as session:
        reports = import_batch(session, [(kind, read_path(files[kind])) for kind in LOAD_ORDER])
    assert [(r.kind, r.inserted, r.updated) for r in reports] == [
        (kind, 0, len(county.COUNTY[kind])) for kind in LOAD_ORDER
    ]
    assert count(engine, PledgedPatent) == 3 and count(engine, Patent) == len(county.PATENTS)


def test_a_key_stored_after_the_count_is_updated_not_refused(engine, tmp_path, monkeypatch):
    """A concurrent import may store one of the keys between the count and the write: the plain
    insert of rows thought new (COPY on PostgreSQL) then fails on the unique key, is undone to its
    savepoint, and the rows are upserted after all."""
    from service.imports import writing

    county.load_county(engine, tmp_path)
    monkeypatch.setattr(writing, "count_stored", lambda session, table, keys: 0)  # "none stored yet"
    renamed = [{**row, "title": f"新标题 {i}"} for i, row in enumerate(county.PATENTS)]
    with transaction(engine) as session:
        import_table(session, "patents", read_path(county.write_csv(tmp_path / "p.csv", renamed)))
    with transaction(engine) as session:
        titles = session.scalars(select(Patent.title).order_by(Patent.title)).all()
    assert titles == sorted(row["title"] for row in renamed)


def test_rows_given_column_by_column_import_as_parsed_rows_do(engine, tmp_path):
    """The writing side's input from a columnar parser: columns as numpy arrays (or lists)."""
    import numpy as np

    from service.imports import KINDS
    from service.imports.columns import parse_table
    from service.imports.loader import Rows, import_rows

    files = county.load_county(engine, tmp_path)
    renamed = [{**row, "title": "按列导入"} for row in county.PATENTS]
    parsed = parse_table(KINDS["patents"], read_path(county.write_csv(tmp_path / "p.csv", renamed)))
    assert not parsed.errors and files
    as_lists = Rows.from_columns(parsed.numbers, parsed.columns)
    assert len(as_lists.numbers) == len(renamed) and set(as_lists.columns["title"]) == {"按列导入"}
    arrays = {key: np.array(values, dtype=object) for key, values in as_lists.columns.items()}
    rows = Rows.from_columns(np.array(as_lists.numbers), arrays)
    assert rows == as_lists
    with transaction(engine) as session:
        report = import_rows(session, "patents", rows)
        assert (report.inserted, report.updated) == (0, len(renamed))
    with transaction(engine) as session:
        assert set(session.scalars(select(Patent.title))) == {"按列导入"}


def test_a_database_error_on_the_bulk_path_is_sqlalchemys(engine, tmp_path):
    """Rows sent around SQLAlchemy (COPY on PostgreSQL) fail as a statement through it would, so
    the API's handlers and callers see one kind of exception."""
    from service.imports.writing import insert_rows

    county.load_county(engine, tmp_path)
    with pytest.raises(IntegrityError), transaction(engine) as session:
        columns = {"registration_id": [999_999], "patent_id": [999_999], "released_date": [None]}
        insert_rows(session, PledgedPatent.__table__, columns)


@pytest.mark.parametrize("kind", LOAD_ORDER)
def test_a_file_with_a_header_and_no_rows_imports_nothing(engine, tmp_path, kind):
    path = tmp_path / f"{kind}.csv"
    path.write_text(",".join(county.COUNTY[kind][0]) + "\n", encoding="utf-8")
    with transaction(engine) as session:
        report = import_table(session, kind, read_path(path))
    assert (report.rows, report.inserted, report.updated) == (0, 0, 0)
