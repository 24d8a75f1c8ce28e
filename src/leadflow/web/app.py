"""The app factory: one FastAPI app serving the API, the pages and the public endpoints."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from leadflow import __version__
from leadflow.bootstrap import Container
from leadflow.web.api.routers import api_routers
from leadflow.web.assets import PREFIX, STATIC, FingerprintedStaticFiles
from leadflow.web.docs import install_docs, install_favicon
from leadflow.web.errors import install_error_handlers
from leadflow.web.inputs import check_inputs
from leadflow.web.limits import BodySizeLimit
from leadflow.web.openapi import LeadflowAPI
from leadflow.web.routing import skip_routers_that_cannot_match
from leadflow.web.settle import SettleOwnWrites

OPENAPI_URL = "/openapi.json"


def create_app(container: Container) -> FastAPI:
    app = LeadflowAPI(
        title="leadflow",
        version=__version__,
        description="Lead lifecycle engine: capture, matching, scoring, process, hand-over.",
        # install_docs serves /docs from installed files; ReDoc's page would load from a CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL,
        # Every route's path, query string and body are checked once here (web/inputs.py).
        dependencies=[Depends(check_inputs)],
    )
    app.state.container = container
    install_error_handlers(app)
    for router in api_routers():
        app.include_router(router)
    if container.settings.bench_endpoints:
        from leadflow.web.api.capture import bench_routers

        for router in bench_routers():
            app.include_router(router)
    from leadflow.web.pages.routes import pages_router

    app.include_router(pages_router())
    install_docs(app, openapi_url=OPENAPI_URL)
    install_favicon(app)
    app.mount(PREFIX, FingerprintedStaticFiles(directory=STATIC), name="static")
    # Last, once every router is in: a request no longer runs the routes of routers
    # it cannot belong to (the largest cost of a request, measured).
    skip_routers_that_cannot_match(app)
    app.add_middleware(
        SettleOwnWrites, relay=container.relay, timeout=container.settings.settle_seconds
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=container.settings.max_body_bytes,
        max_batch_bytes=container.settings.max_batch_body_bytes,
    )
    return app
