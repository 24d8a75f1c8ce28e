"""The API reference at /docs, and the favicon, served from this machine.

FastAPI's own /docs page loads Swagger UI from a CDN and so is blank without
internet access. Here Swagger UI's files come from the swagger-ui-bundle-v2
package (the swagger-ui-dist files as a wheel); ReDoc, whose page would load from
a CDN too, is switched off in the app factory.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from leadflow.web.assets import STATIC, static_url

DOCS_PATH = "/docs"
# Not under /static: that mount would answer first and not find these files.
SWAGGER_UI_PATH = "/swagger-ui"
FAVICON = STATIC / "favicon.svg"


def install_docs(app: FastAPI, *, openapi_url: str) -> None:
    app.mount(SWAGGER_UI_PATH, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    @app.get(DOCS_PATH, include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} · API reference",
            swagger_js_url=f"{SWAGGER_UI_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI_PATH}/swagger-ui.css",
            swagger_favicon_url=static_url("favicon.svg"),
            # Swagger UI would send the schema to validator.swagger.io for its badge.
            swagger_ui_parameters={"validatorUrl": None},
        )


def install_favicon(app: FastAPI) -> None:
    # Browsers ask for /favicon.ico on pages that name no icon (the public landing
    # pages, JSON); an SVG under that name is shown by all current browsers.
    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(FAVICON, media_type="image/svg+xml")
