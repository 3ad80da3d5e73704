"""The Litestar application: one engine per app, a unit of work per request."""

from __future__ import annotations

from litestar import Litestar, MediaType, Response, get
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme
from sqlalchemy import Engine, text

from service.alerts.routes import AlertController
from service.api_docs import SCHEMA_PATH, OfflineSwaggerPlugin
from service.api_docs import assets_router as api_docs_assets
from service.audit.routes import AuditController
from service.auth.rate_limits import rate_limit_config
from service.banks.routes import BankController, OwnBankController
from service.db import make_engine
from service.deps import DEPENDENCIES, authenticate_request, make_session_limiter
from service.enterprises.routes import EnterpriseController
from service.errors import EXCEPTION_HANDLERS, error_responses
from service.imports.routes import ImportController
from service.jobs.routes import JobController
from service.jobs.scheduler import start_in_process
from service.matching.routes import MatchingController
from service.notifications.routes import NotificationController
from service.patents.routes import PatentController
from service.pledges.routes import PledgeController
from service.security_headers import add_security_headers
from service.settings import Settings
from service.statistics.routes import StatisticsController
from service.subsidies.routes import SubsidyController
from service.targets.routes import TargetController
from service.ui.routes import ui_router
from service.valuations.routes import ValuationController
from service.whitelist.routes import WhitelistController

# /health is never rate limited; a presented key that is wrong is still 401 (schemathesis: ST103).
HEALTH_RESPONSES = {
    401: error_responses(401)[401],
    503: ResponseSpec(dict[str, str], description="the database does not answer", generate_examples=False),
}


@get(
    "/health",
    sync_to_thread=True,
    tags=["health"],
    summary="200 when the database answers, 503 otherwise",
    responses=HEALTH_RESPONSES,
)
def health(state: State) -> Response:
    try:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means the database does not answer
        return Response(
            {"status": "unavailable", "database": str(exc.__class__.__name__)},
            status_code=503,
            media_type=MediaType.JSON,
        )
    return Response({"status": "ok", "database": state.engine.dialect.name}, media_type=MediaType.JSON)


ROUTES = [
    health,
    api_docs_assets(),
    BankController,
    EnterpriseController,
    PatentController,
    ImportController,
    TargetController,
    ValuationController,
    MatchingController,
    PledgeController,
    AuditController,
    WhitelistController,
    OwnBankController,
    NotificationController,
    JobController,
    AlertController,
    ui_router,
    StatisticsController,
    SubsidyController,
]


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    if reason := settings.production_problem():  # also when served without `ipfin serve`
        raise RuntimeError(f"refusing to start in production: {reason}")
    engine = engine or make_engine(settings.database_url)

    state = State(
        {
            "engine": engine,
            "settings": settings,
            "rate_limits": (settings.rate_limit_per_key, settings.rate_limit_anonymous),
        }
    )

    def start() -> None:
        make_session_limiter(state)
        if settings.run_scheduler:
            state.scheduler = start_in_process(engine, settings)

    def dispose_engine() -> None:
        if getattr(state, "scheduler", None) is not None:
            state.scheduler.stop()
        engine.dispose()

    return Litestar(
        route_handlers=ROUTES,
        dependencies=DEPENDENCIES,
        # The rate limiter resolves the key first and counts by key or address; before_request
        # then finds it resolved (it still covers any route the middleware does not wrap).
        middleware=[rate_limit_config(settings).middleware],
        before_request=authenticate_request,
        before_send=[add_security_headers],
        exception_handlers=EXCEPTION_HANDLERS,
        state=state,
        on_startup=[start],
        on_shutdown=[dispose_engine],
        openapi_config=OpenAPIConfig(
            title="ipfin",
            version="1",
            description="IP-financing matchmaking and valuation: patents, valuations, matching, bank whitelist feed.",
            path=SCHEMA_PATH,
            render_plugins=[OfflineSwaggerPlugin()],
            components=Components(
                security_schemes={"apiKey": SecurityScheme(type="http", scheme="bearer", description="ipf_… API key")}
            ),
            security=[{"apiKey": []}],
        ),
        debug=False,
    )
