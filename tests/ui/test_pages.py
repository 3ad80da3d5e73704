"""The pages read and change data through the domains' services: review decisions, the dashboard's
pipeline, patents, enterprises, banks and the public estimate (test client; the browser tests
drive the same in chromium)."""

from __future__ import annotations

import re

from sqlalchemy import select
from ui_helpers import csrf_of, sign_in


def _waiting(html: str) -> int:
    return int(re.search(r'id="waiting">(\d+)<', html).group(1))


def _decide(client, proposal_id: int, decision: str, comment: str = ""):
    page = client.get("/ui/review")
    return client.post(
        f"/ui/review/{proposal_id}/decision",
        data={"decision": decision, "comment": comment, "_csrf_token": csrf_of(page.text)},
    )


def _approved_total(client) -> int:
    return int(re.search(r'data-total="approved">(\d+)<', client.get("/ui/").text).group(1))


def test_approving_publishes_and_the_dashboard_counts_it(client, engine, county, reviewer):
    from service.models import AuditEvent, MatchProposal, WhitelistEntry

    sign_in(client, reviewer)
    before = _approved_total(client)
    queue = client.get("/ui/review").text
    assert _waiting(queue) == len(county) and f'id="proposal-{county[0]}"' in queue
    answer = _decide(client, county[0], "approved", "材料齐全")
    assert answer.status_code == 200 and "已批准，白名单条目已推送给银行" in answer.text
    assert _waiting(answer.text) == len(county) - 1
    assert _approved_total(client) == before + 1
    dashboard = client.get("/ui/").text
    assert "白名单进度（按产业集群）" in dashboard and "<td>装备制造</td>" in dashboard
    clusters = re.findall(r'<tr data-cluster="\w+">.*?data-stage="approved">(\d+)<', dashboard, re.S)
    assert len(clusters) == 4 and sum(map(int, clusters)) == before + 1  # each entry under its cluster
    with engine.connect() as connection:
        assert connection.scalar(select(MatchProposal.status).where(MatchProposal.id == county[0])) == "approved"
        assert connection.scalar(select(WhitelistEntry.id).where(WhitelistEntry.proposal_id == county[0]))
        actors = connection.scalars(select(AuditEvent.actor).where(AuditEvent.action == "proposal.approved")).all()
    assert actors == [reviewer]  # the signed-in user is the reviewer of record


def test_rejecting_needs_a_comment_and_a_second_decision_is_told_who_won(client, engine, county, reviewer):
    from service.models import MatchProposal

    sign_in(client, reviewer)
    refused = _decide(client, county[1], "rejected", "   ")
    assert "驳回时必须填写审核意见" in refused.text
    with engine.connect() as connection:
        assert connection.scalar(select(MatchProposal.status).where(MatchProposal.id == county[1])) == "proposed"
    assert "已驳回，意见已记录" in _decide(client, county[1], "rejected", "抵押物价值不足").text
    late = _decide(client, county[1], "approved")  # another tab, opened before the rejection
    assert "该提案已由其他审核员先行处理" in late.text
    assert "wang.li" in late.text and "抵押物价值不足" in late.text  # who decided, and why
    with engine.connect() as connection:
        assert connection.scalar(select(MatchProposal.status).where(MatchProposal.id == county[1])) == "rejected"


def test_deciding_without_signing_in_changes_nothing(client, engine, county):
    from service.models import MatchProposal

    form = client.get("/ui/estimate")  # any page gives a CSRF cookie and token
    response = client.post(
        f"/ui/review/{county[0]}/decision",
        data={"decision": "approved", "_csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/ui/login")
    with engine.connect() as connection:
        assert connection.scalar(select(MatchProposal.status).where(MatchProposal.id == county[0])) == "proposed"


def test_patent_enterprise_and_bank_pages(client, engine, county, reviewer):
    from service.models import Bank, Enterprise, MatchProposal, Patent, Valuation

    with engine.connect() as connection:
        number = connection.scalar(
            select(Patent.application_no)
            .join(Valuation, Valuation.patent_id == Patent.id)
            .where(Valuation.value_p50_fen.is_not(None), Patent.legal_status == "valid")
            .limit(1)
        )
        code, bank = connection.execute(
            select(Enterprise.credit_code, Bank.code)
            .join(MatchProposal, MatchProposal.enterprise_id == Enterprise.id)
            .join(Bank, Bank.id == MatchProposal.bank_id)
            .where(MatchProposal.id == county[0])
        ).one()
    patent = client.get(f"/ui/patents/{number}")  # public: an enterprise may look at its own patent
    assert patent.status_code == 200
    for text in ("法律", "技术", "经济", "价值区间", "下次缴费期限", "第 ", "维持概率", 'svg class="chart survival"'):
        assert text in patent.text, text
    assert "预警" not in patent.text  # alerts are for staff
    assert client.get("/ui/patents/201710601862.9").status_code in (400, 404)
    sign_in(client, reviewer)
    assert "预警" in client.get(f"/ui/patents/{number}").text
    enterprise = client.get(f"/ui/enterprises/{code}")
    assert enterprise.status_code == 200 and "各银行产品的准入情况" in enterprise.text and "符合" in enterprise.text
    bank_page = client.get(f"/ui/banks/{bank.lower()}")
    assert bank_page.status_code == 200 and "质押贷款产品" in bank_page.text
    missing = client.get("/ui/banks/NOPE")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"] and "未找到" in missing.text


def _estimate(client, path: str, **kwargs):
    form = client.get("/ui/estimate")
    token = csrf_of(form.text)
    if "files" in kwargs:
        return client.post(path, data={"_csrf_token": token}, files=kwargs["files"])
    return client.post(path, data=kwargs["data"] | {"_csrf_token": token})


GOOD = {
    "application_no": "201710601862.3",
    "patent_type": "invention",
    "legal_status": "valid",
    "filing_date": "2017-07-21",
    "grant_date": "2020-03-10",
    "fees_paid_through_year": "9",
    "claims": "12",
    "independent_claims": "2",
    "commercialization": "production",
    "annual_revenue_yuan": "8000000",
}


def test_estimate_by_form_and_by_upload_without_an_account(client, county):
    typed = _estimate(client, "/ui/estimate", data=GOOD)
    assert typed.status_code == 200 and 'id="results"' in typed.text and "201710601862.3" in typed.text
    assert "万元" in typed.text  # a value interval in money
    from service.identifiers import application_check_char

    digits = "201820123456"  # 2018, utility model (2), serial 0123456
    second = dict(GOOD, application_no=f"{digits}.{application_check_char(digits)}", patent_type="utility_model")
    rows = [",".join(GOOD), ",".join(GOOD.values()), ",".join(second.values())]
    uploaded = _estimate(
        client, "/ui/estimate/upload", files={"file": ("patents.csv", "\n".join(rows).encode(), "text/csv")}
    )
    assert uploaded.status_code == 200, uploaded.text[-2000:]
    results = uploaded.text.split('id="results"')[1].split("</table>")[0]
    assert GOOD["application_no"] in results and second["application_no"] in results


def test_estimate_problems_are_listed_in_chinese(client, county):
    bad = _estimate(client, "/ui/estimate", data=dict(GOOD, filing_date="明天", patent_type="design"))
    assert bad.status_code == 422 and "无法估值" in bad.text and "申请日" in bad.text
    assert 'value="明天"' in bad.text  # what was typed stays in the form
    empty = _estimate(client, "/ui/estimate/upload", files={"file": ("x.csv", b"application_no\n", "text/csv")})
    assert empty.status_code == 422 and "没有专利记录" in empty.text
    junk = _estimate(client, "/ui/estimate/upload", files={"file": ("x.pdf", b"%PDF-1.4", "application/pdf")})
    assert junk.status_code == 422 and "文件无法读取" in junk.text
