"""The FastAPI application: the JSON API, the public pages, problem details for every error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from privaat import __version__
from privaat.bootstrap import Context
from privaat.web import problems
from privaat.web.api import accounts as accounts_api
from privaat.web.body_limit import BodyLimit
from privaat.web.pages import privacy


def create_app(context: Context) -> FastAPI:
    """The web app over ``context``; the access log is flushed when the app stops."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
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
