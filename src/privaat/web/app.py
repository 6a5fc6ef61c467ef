"""The FastAPI application: the JSON API, the public pages, problem details for every error."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from privaat import __version__
from privaat.bootstrap import Context
from privaat.web import api_docs, headers, openapi, problems
from privaat.web.api import accounts as accounts_api
from privaat.web.api import business as business_api
from privaat.web.api import consents as consents_api
from privaat.web.api import email as email_api
from privaat.web.api import opendsr as opendsr_api
from privaat.web.api import preferences as preferences_api
from privaat.web.api import requests as requests_api
from privaat.web.api import shop as shop_api
from privaat.web.api import telemetry as telemetry_api
from privaat.web.body_limit import BodyLimit
from privaat.web.console import breaches as console_breaches
from privaat.web.console import calls as console_calls
from privaat.web.console import charts as console_charts
from privaat.web.console import disclosures as console_disclosures
from privaat.web.console import dpia as console_dpia
from privaat.web.console import lifecycle as console_lifecycle
from privaat.web.console import marketing as console_marketing
from privaat.web.console import orders as console_orders
from privaat.web.console import processors as console_processors
from privaat.web.console import request_steps as console_request_steps
from privaat.web.console import request_tasks as console_request_tasks
from privaat.web.console import requests as console_requests
from privaat.web.console import router as console_router
from privaat.web.console import scans as console_scans
from privaat.web.console import support as console_support
from privaat.web.console import support_access as console_support_access
from privaat.web.deps import UowDep
from privaat.web.openapi import problem_responses
from privaat.web.pages import (
    banner,
    centre,
    consent_confirm,
    engagement,
    home,
    layout,
    login,
    orders,
    preferences,
    privacy,
    request_links,
    rights,
    signup,
    support,
    support_access,
    unsubscribe,
)

ACCESS_LOG_CHECK_SECONDS = 1.0
log = logging.getLogger("privaat.web")


# every router of the app, in the order requests are matched
ROUTERS: tuple[APIRouter, ...] = (
    api_docs.router,
    accounts_api.router,
    email_api.router,
    consents_api.router,
    preferences_api.router,
    requests_api.router,
    opendsr_api.router,
    business_api.router,
    telemetry_api.router,
    shop_api.router,
    privacy.router,
    home.router,
    signup.router,
    login.router,
    centre.router,
    preferences.router,
    unsubscribe.router,
    consent_confirm.router,
    engagement.router,
    banner.router,
    request_links.router,
    rights.router,
    support.router,
    support_access.router,
    orders.router,
    console_router,
    console_marketing.router,
    console_charts.router,
    console_requests.router,
    console_request_steps.router,
    console_request_tasks.router,
    console_support.router,
    console_calls.router,
    console_support_access.router,
    console_orders.router,
    console_breaches.router,
    console_disclosures.router,
    console_dpia.router,
    console_lifecycle.router,
    console_processors.router,
    console_scans.router,
)


def include_routers(app: FastAPI) -> None:
    """Add every router and the static files to ``app``."""
    for router in ROUTERS:
        app.include_router(router)
    layout.mount_static(app)


def route_table() -> list[BaseRoute]:
    """The app's routes, built without a Context: ``privaat policy render`` reads its channels
    from them (``web.channels``), so the CLI renders exactly the statement the app serves."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    include_routers(app)
    return list(app.routes)


def create_app(context: Context) -> FastAPI:
    """The web app over ``context``; the access log is flushed while it runs and when it stops."""

    async def flush_access_log_when_due() -> None:
        # a quiet server still writes its access log within about a second of each read; a
        # failed write keeps its entries for the next round and never ends this task
        failing = False
        while True:
            await asyncio.sleep(ACCESS_LOG_CHECK_SECONDS)
            if not context.access_log.due():
                continue
            try:
                await run_in_threadpool(context.access_log.flush)
            except Exception as error:  # the database may be down: keep the task, retry later
                if not failing:  # one line per outage, not one per second
                    log.error("access log not written, will retry: %s", type(error).__name__)
                failing = True
            else:
                if failing:
                    log.warning("access log written again after an outage")
                failing = False

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        flusher = asyncio.create_task(flush_access_log_when_due())
        yield
        flusher.cancel()
        with suppress(asyncio.CancelledError):
            await flusher
        context.access_log.flush()

    app = FastAPI(
        title="privaat",
        version=__version__,
        summary="A privacy policy as code, enforced at run time.",
        lifespan=lifespan,
        docs_url=None,  # served by web.api_docs from local files, not from a CDN
        redoc_url=None,
    )
    app.state.context = context
    app.state.policy = context.policy
    problems.install(app)
    app.add_middleware(BodyLimit)
    headers.install(app, hsts=context.settings.base_url.startswith("https://"))
    openapi.install(app)
    include_routers(app)

    @app.get("/healthz", tags=["operations"])
    def health() -> dict[str, str]:
        """Liveness: the process runs, with this policy."""
        return {
            "status": "ok",
            "policy": f"{context.policy.policy.id} v{context.policy.policy.version}",
        }

    @app.get("/readyz", tags=["operations"], responses=problem_responses(503))
    def ready(uow: UowDep) -> dict[str, str]:
        """Readiness: the database answers (503 problem with Retry-After when it does not)."""
        with uow.reading() as connection:
            connection.exec_driver_sql("SELECT 1")
        return {"status": "ready"}

    return app
