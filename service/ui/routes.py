"""The /ui pages: HTTP only — read the form, call the domains' services, render a template."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, MultipartBody, QueryParameter, URLEncodedBody
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from service.deps import DbSession
from service.errors import ApiError
from service.matching.inputs import Population
from service.matching.service import create_run, decide
from service.models.enums import ProposalStatus
from service.models.types import utcnow, utctoday
from service.ui import pages
from service.ui.auth import (
    DEPENDENCIES,
    SESSION_COOKIE,
    UI_PATH,
    AppSecretCSRF,
    SignInRequired,
    Staff,
    User,
    login_url,
    safe_next,
)
from service.ui.estimate import FIELDS, LABELS, EstimateProblem, table_from_form, table_from_upload, value_table
from service.ui.render import day, page
from service.users.service import check_password, end_session, locked_until, record_failed_sign_in, start_session

Form = URLEncodedBody[dict[str, Any]]
Upload = MultipartBody[dict[str, Any]]
STATIC = Path(__file__).resolve().parent / "static"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _text(form: dict[str, Any], name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


@get("/login", sync_to_thread=True)
def login_form(request: Request, user: User, next: FromQuery[str | None] = None) -> Response:
    return page(request, "login.html", user=user, next=safe_next(next), username="", error=None)


@post("/login", sync_to_thread=True)
def login(request: Request, db_session: DbSession, data: Form) -> Response:
    username, password, next_path = _text(data, "username", 64), _text(data, "password"), _text(data, "next")
    refused = {"user": None, "next": safe_next(next_path), "username": username}
    now = utcnow()
    lock = locked_until(db_session, username, now) if username else None
    account = None
    if lock is None and username and password:  # while locked the password is not even tried
        account = check_password(db_session, username, password)
        if account is None:
            record_failed_sign_in(db_session, username, request.client.host if request.client else None)
            lock = locked_until(db_session, username, now)  # this failure may be the one that locks
    if lock is not None:
        response = page(
            request,
            "login.html",
            status_code=429,
            error=f"登录失败次数过多，该用户名已锁定至 {day(lock)}，请稍后再试或联系管理员。",
            **refused,
        )
        response.headers["Retry-After"] = str(max(1, int((lock - now).total_seconds())))
        return response
    if account is None:
        return page(request, "login.html", status_code=401, error="用户名或密码不正确。", **refused)
    cookie = start_session(db_session, account, request.app.state.settings.secret_key)
    response = Redirect(safe_next(next_path), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        path=UI_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@post("/logout", sync_to_thread=True)
def logout(request: Request, db_session: DbSession) -> Response:
    end_session(db_session, request.cookies.get(SESSION_COOKIE), request.app.state.settings.secret_key)
    response = Redirect(f"{UI_PATH}/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=UI_PATH)
    return response


# --- pages -------------------------------------------------------------------------------------


@get("/", sync_to_thread=True)
def dashboard(request: Request, db_session: DbSession, staff: Staff) -> Response:
    today = utctoday()
    return page(request, "dashboard.html", user=staff, today=today, **pages.dashboard(db_session, today))


# Messages after a decision, chosen by code (nothing the browser sent is echoed).
_DECIDED = {"approved": "已批准，白名单条目已推送给银行。", "rejected": "已驳回，意见已记录。"}
_PROBLEMS = {
    "comment_required": "驳回时必须填写审核意见，请写明原因后再提交。",
    "already_decided": "该提案已由其他审核员先行处理，您的操作未生效。",
    "proposal_superseded": "该提案已被新一轮匹配取代，无需再审核。",
    "invalid_decision": "请选择“批准”或“驳回”。",
    "not_found": "没有找到该提案。",
}


@get("/review", sync_to_thread=True)
def review(
    request: Request,
    db_session: DbSession,
    staff: Staff,
    page_no: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    done: Annotated[str | None, QueryParameter(max_length=32)] = None,
    problem: Annotated[str | None, QueryParameter(max_length=32)] = None,
    proposal: Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)] = None,
) -> Response:
    flash = None
    if proposal is not None and (done in _DECIDED or problem in _PROBLEMS):
        flash = {
            "ok": done in _DECIDED,
            "message": _DECIDED[done] if done in _DECIDED else _PROBLEMS[problem or ""],
            "row": pages.proposal_state(db_session, proposal),
        }
    return page(
        request, "review.html", user=staff, today=utctoday(), flash=flash, **pages.review_queue(db_session, page_no)
    )


@post("/review/{proposal_id:int}/decision", sync_to_thread=True)
def decide_proposal(
    request: Request, db_session: DbSession, staff: Staff, proposal_id: FromPath[int], data: Form
) -> Response:
    choice, comment = _text(data, "decision", 16), _text(data, "comment", 2000)
    back = f"{UI_PATH}/review?proposal={proposal_id}"
    try:
        decision = ProposalStatus(choice)
        decide(db_session, proposal_id, decision, staff.username, comment or None)
    except ValueError:
        db_session.rollback()
        return Redirect(f"{back}&problem=invalid_decision", status_code=303)
    except ApiError as exc:
        db_session.rollback()  # a refused decision writes nothing
        return Redirect(f"{back}&problem={exc.code if exc.code in _PROBLEMS else 'invalid_decision'}", status_code=303)
    return Redirect(f"{back}&done={decision.value}", status_code=303)


@post("/review/run", sync_to_thread=True)
def run_matching(request: Request, db_session: DbSession, staff: Staff) -> Response:
    create_run(db_session, as_of=utctoday(), population=Population.credit_loan_holders, actor=staff.username)
    return Redirect(f"{UI_PATH}/review", status_code=303)


@get("/patents/{application_no:str}", sync_to_thread=True)
def patent(request: Request, db_session: DbSession, user: User, application_no: FromPath[str]) -> Response:
    context = pages.patent_page(db_session, application_no, staff=user is not None)
    return page(request, "patent.html", user=user, today=utctoday(), **context)


@get("/enterprises/{credit_code:str}", sync_to_thread=True)
def enterprise(request: Request, db_session: DbSession, staff: Staff, credit_code: FromPath[str]) -> Response:
    today = utctoday()
    return page(
        request, "enterprise.html", user=staff, today=today, **pages.enterprise_page(db_session, credit_code, today)
    )


@get("/banks/{code:str}", sync_to_thread=True)
def bank(request: Request, db_session: DbSession, staff: Staff, code: FromPath[str]) -> Response:
    return page(request, "bank.html", user=staff, today=utctoday(), **pages.bank_page(db_session, code))


def _estimate_page(request: Request, user, status: int = 200, **context: Any) -> Response:
    defaults = {"results": None, "problems": None, "values": {}, "source": None}
    return page(
        request,
        "estimate.html",
        status_code=status,
        user=user,
        today=utctoday(),
        fields=FIELDS,
        labels=LABELS,
        **(defaults | context),
    )


@get("/estimate", sync_to_thread=True)
def estimate_form(request: Request, user: User) -> Response:
    return _estimate_page(request, user)


@post("/estimate", sync_to_thread=True)
def estimate_typed(request: Request, db_session: DbSession, user: User, data: Form) -> Response:
    values = {name: _text(data, name) for name, *_ in FIELDS}
    try:
        results = value_table(db_session, table_from_form(data), utctoday())
    except EstimateProblem as exc:
        return _estimate_page(request, user, 422, problems=exc.problems, values=values, source="form")
    return _estimate_page(request, user, results=results, values=values, source="form")


@post("/estimate/upload", sync_to_thread=True, request_max_body_size=MAX_UPLOAD_BYTES + 64 * 1024)
def estimate_upload(request: Request, db_session: DbSession, user: User, data: Upload) -> Response:
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _estimate_page(request, user, 422, problems=["请选择要上传的 CSV 或 XLSX 文件。"], source="upload")
    content = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        return _estimate_page(request, user, 413, problems=["文件超过 5 MB，请拆分后上传。"], source="upload")
    try:
        results = value_table(db_session, table_from_upload(content, upload.filename), utctoday())
    except EstimateProblem as exc:
        return _estimate_page(request, user, 422, problems=exc.problems, source="upload")
    return _estimate_page(request, user, results=results, source="upload")


# --- errors as pages ---------------------------------------------------------------------------

_HEADINGS = {
    400: "请求有误",
    401: "需要登录",
    403: "无权操作",
    404: "未找到",
    409: "操作冲突",
    422: "无法处理",
    429: "请求过于频繁",
}


def _error_page(request: Request, status: int, message: str) -> Response:
    return page(
        request,
        "error.html",
        status_code=status,
        user=None,
        heading=_HEADINGS.get(status, "出错了"),
        message=message,
        back=request.headers.get("referer") if (request.headers.get("referer") or "").startswith("http") else "/ui/",
    )


def _sign_in(request: Request, exc: SignInRequired) -> Response:
    return Redirect(login_url(exc.next_path), status_code=303)


def _api_error(request: Request, exc: ApiError) -> Response:
    return _error_page(request, exc.status, exc.message)


def _http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 403 and "CSRF" in str(exc.detail):
        return _error_page(request, 403, "表单已过期或来源不明（CSRF 校验未通过）。请返回、刷新页面后再提交。")
    if exc.status_code == 404:
        return _error_page(request, 404, "没有找到这个页面或记录。")
    if exc.status_code in (400, 422):
        return _error_page(request, 400, "提交的内容格式不正确，请检查后重试。")
    return _error_page(request, exc.status_code, str(exc.detail))


ui_router = Router(
    path=UI_PATH,
    route_handlers=[
        login_form,
        login,
        logout,
        dashboard,
        review,
        decide_proposal,
        run_matching,
        patent,
        enterprise,
        bank,
        estimate_form,
        estimate_typed,
        estimate_upload,
        create_static_files_router(path="/static", directories=[STATIC], name="ui-static"),
    ],
    dependencies=DEPENDENCIES,
    middleware=[AppSecretCSRF],
    exception_handlers={SignInRequired: _sign_in, ApiError: _api_error, HTTPException: _http_error},
    include_in_schema=False,
)
