"""The FastAPI application: the JSON API, the public pages, problem details for every error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from privaat import __version__
from privaat.bootstrap import Context
from privaat.web import problems
from privaat.web.api import accounts as accounts_api
from privaat.web.body_limit import BodyLimit
from privaat.web.pages import privacy

ACCESS_LOG_CHECK_SECONDS = 1.0


def create_app(context: Context) -> FastAPI:
    """The web app over ``context``; the access log is flushed while it runs and when it stops."""

    async def flush_access_log_when_due() -> None:
        # a quiet server still writes its access log within about a second of each read
        while True:
            await asyncio.sleep(ACCESS_LOG_CHECK_SECONDS)
            if context.access_log.due():
                await run_in_threadpool(context.access_log.flush)

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
    )
    app.state.context = context
    app.state.policy = context.policy
    problems.install(app)
    app.add_middleware(BodyLimit)
    app.include_router(accounts_api.router)
    app.include_router(privacy.router)

    @app.get("/healthz", tags=["operations"])
    def health() -> dict[str, str]:
        return {
            "status": "ok",
            "policy": f"{context.policy.policy.id} v{context.policy.policy.version}",
        }

    return app
