"""The pages in a real browser: Debian's chromium, headless, driven by Playwright against a live
server on loopback. Signs in, approves a proposal and sees the dashboard count it, rejects without a
comment and sees the error, values patents by form and by upload; no console errors, no request
leaves loopback. Screenshots of each page go to var/screenshots/ (laptop and tablet widths)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from ui_helpers import PASSWORD

from service.identifiers import application_check_char
from service.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = PROJECT_ROOT / "var" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}
CSP = "default-src 'self'"


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.fail("chromium is missing: ./scripts/test installs it (apt-get install -y chromium chromium-l10n)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Chinese for the browser's own controls (选择文件, 年/月/日): chromium-l10n's locale files,
        # chosen by LANGUAGE, as on a county officer's desktop. LANG stays a UTF-8 locale that
        # exists (zh_CN.UTF-8 is usually not generated; without it chromium cannot attach a file
        # with a Chinese name).
        chinese = {**os.environ, "LANG": "C.UTF-8", "LANGUAGE": "zh_CN"}
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, env=chinese)
        yield browser
        browser.close()


class Watched:
    """A page served under a strict CSP whose console errors and non-loopback requests are recorded
    (the latter refused)."""

    def __init__(self, browser, viewport, csp: str | None = CSP):
        self.csp = csp  # None: keep the policy the app sent
        self.context = browser.new_context(viewport=viewport, locale="zh-CN")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.context.route("**/*", self._route)

    def _route(self, route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in ("127.0.0.1", "localhost"):
            if route.request.method != "GET":  # (an intercepted upload would lose its file)
                route.continue_()
                return
            # The strictest policy the app may send (default-src 'self'): an inline script or style,
            # or anything from elsewhere, would be refused and logged as a console error.
            response = route.fetch(max_redirects=0)
            policy = {"content-security-policy": self.csp} if self.csp else {}
            route.fulfill(response=response, headers=response.headers | policy)
        else:
            self.outside.append(url)
            route.abort()

    def shot(self, name: str, *, full_page: bool = True) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def _approved(page) -> int:
    return int(page.locator('[data-total="approved"]').inner_text())


def test_staff_review_and_public_estimate_in_chromium(browser, live_server, county, reviewer, tmp_path):
    laptop = Watched(browser, LAPTOP)
    page = laptop.page

    page.goto(f"{live_server}/ui/")
    assert "/ui/login" in page.url  # staff pages ask for sign-in first
    laptop.shot("01-login")
    page.fill("input[name=username]", reviewer)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/ui/")
    assert page.locator("svg.chart").count() == 1
    approved_before = _approved(page)
    laptop.shot("02-dashboard")

    page.click("nav >> text=匹配审核")
    page.wait_for_url(f"{live_server}/ui/review")
    laptop.shot("03-review")
    first = page.locator(f"#proposal-{county[0]}")
    first.locator("textarea[name=comment]").fill("材料齐全，同意推送")
    first.locator("button[value=approved]").click()
    page.wait_for_selector("#flash")
    assert "已批准" in page.locator("#flash").inner_text()

    second = page.locator(f"#proposal-{county[1]}")
    second.locator("button[value=rejected]").click()  # no comment
    page.wait_for_selector("#flash")
    assert "驳回时必须填写审核意见" in page.locator("#flash").inner_text()
    assert page.locator(f"#proposal-{county[1]}").count() == 1  # still waiting for a decision
    laptop.shot("04-review-reject-without-comment")

    page.click("nav >> text=总览")
    assert _approved(page) == approved_before + 1  # the dashboard's pipeline counts the approval
    laptop.shot("05-dashboard-after-approval")

    page.goto(f"{live_server}/ui/review")
    page.locator(f"#proposal-{county[1]} a[href^='/ui/patents/']").first.click()
    page.wait_for_selector("#score-heading")
    laptop.shot("06-patent")
    page.go_back()
    page.locator(f"#proposal-{county[1]} a[href^='/ui/enterprises/']").first.click()
    page.wait_for_selector("text=各银行产品的准入情况")
    laptop.shot("07-enterprise")
    page.go_back()
    page.locator(f"#proposal-{county[1]} a[href^='/ui/banks/']").first.click()
    page.wait_for_selector("text=质押贷款产品")
    laptop.shot("08-bank")

    # An enterprise, not signed in: the estimate by form, then by upload.
    public = Watched(browser, LAPTOP)
    form = public.page
    form.goto(f"{live_server}/ui/estimate")
    fields = {
        "application_no": "201710601862.3",
        "filing_date": "2017-07-21",
        "grant_date": "2020-03-10",
        "fees_paid_through_year": "9",
        "claims": "12",
        "independent_claims": "2",
        "annual_revenue_yuan": "8000000",
    }
    for name, value in fields.items():
        form.fill(f"#estimate-form [name={name}]", value)
    form.select_option("#estimate-form [name=commercialization]", "production")
    form.click("#estimate-form button[type=submit]")
    form.wait_for_selector("#results")
    assert "201710601862.3" in form.locator("#results").inner_text()
    public.shot("09-estimate-form")
    # The clerk's own spreadsheet: Chinese headers and Chinese names for the codes.
    utility = "201520123456." + application_check_char("201520123456")
    upload = tmp_path / "专利清单.csv"
    upload.write_text(
        "申请号,专利类型,法律状态,申请日,授权公告日,年费已缴至第几年,相关产品年收入（元）\n"
        "201710601862.3,发明专利,有效,2017-07-21,2020-03-10,9,8000000\n"
        f"{utility},实用新型,审查中,2015-03-01,,,\n",
        encoding="utf-8",
    )
    form.set_input_files("#upload-form input[type=file]", str(upload))
    with form.expect_navigation():  # (the form's answer above also has #results)
        form.click("#upload-form button[type=submit]")
    form.wait_for_selector("#results")
    public.shot("10-estimate-upload")
    text = form.locator("#results").inner_text()
    assert "201710601862.3" in text and utility in text
    # A bad cell is named by row and column, in Chinese (the page answers 422, which chromium logs).
    logged = len(public.errors)
    upload.write_text("申请号,专利类型,法律状态,申请日\n201710601862.3,发明专利,有效的,2017-07-21\n", encoding="utf-8")
    form.set_input_files("#upload-form input[type=file]", str(upload))
    with form.expect_navigation():  # (the form's answer above also has #results)
        form.click("#upload-form button[type=submit]")
    form.wait_for_selector("#problems")
    public.shot("10b-estimate-upload-problem")
    problem = form.locator("#problems").inner_text()
    assert "第 2 行「法律状态」" in problem and "'有效的' 不是可用的取值" in problem, problem
    assert all("status of 422" in e for e in public.errors[logged:]), public.errors
    del public.errors[logged:]

    tablet = Watched(browser, TABLET)
    tablet.page.goto(f"{live_server}/ui/login")
    tablet.page.fill("input[name=username]", reviewer)
    tablet.page.fill("input[name=password]", PASSWORD)
    tablet.page.click("button[type=submit]")
    tablet.page.wait_for_url(f"{live_server}/ui/")
    tablet.shot("11-dashboard-tablet")
    tablet.page.goto(f"{live_server}/ui/review")
    tablet.shot("12-review-tablet")

    for watched in (laptop, public, tablet):
        assert watched.errors == []
        assert watched.outside == []
        watched.context.close()


def test_api_docs_render_offline_under_their_own_policy(browser, live_server):
    """/schema: Swagger UI from the app itself, under the policy the app sends (scripts and styles
    from this origin only, no inline script), with every request off loopback refused."""
    docs = Watched(browser, LAPTOP, csp=None)
    page = docs.page
    response = page.goto(f"{live_server}/schema")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "https:" not in policy and "unsafe-inline" not in policy
    page.wait_for_selector(".opblock", timeout=30_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert len(paths) >= 35 and "/api/v1/whitelist" in {p.replace("\u200b", "") for p in paths}
    page.locator(".opblock-summary-path", has_text="/health").first.click()  # an operation opens
    page.wait_for_selector(".opblock.is-open .responses-wrapper")
    docs.shot("13-api-docs", full_page=False)  # the whole document is 11,000 pixels tall
    assert docs.errors == [] and docs.outside == []
    docs.context.close()
