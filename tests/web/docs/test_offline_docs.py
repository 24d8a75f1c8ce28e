"""The API reference and the favicon come from this server: nothing is loaded from a CDN."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from leadflow.web.assets import static_url

ABSOLUTE_URL = re.compile(r"""(?:src|href|url)\s*[=:]\s*["']?(?:https?:)?//""", re.IGNORECASE)


def test_the_docs_page_loads_swagger_ui_from_this_server(client: TestClient) -> None:
    page = client.get("/docs")

    assert page.status_code == 200
    assert '<script src="/swagger-ui/swagger-ui-bundle.js">' in page.text
    assert 'href="/swagger-ui/swagger-ui.css"' in page.text
    assert "url: '/openapi.json'" in page.text
    assert ABSOLUTE_URL.findall(page.text) == []
    # Without it Swagger UI posts the schema to validator.swagger.io for its badge.
    assert '"validatorUrl": null' in page.text


def test_swagger_ui_files_are_served_from_the_installed_package(client: TestClient) -> None:
    script = client.get("/swagger-ui/swagger-ui-bundle.js")
    styles = client.get("/swagger-ui/swagger-ui.css")

    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.text
    assert styles.status_code == 200
    assert styles.headers["content-type"].startswith("text/css")


def test_redoc_is_off_because_its_page_needs_a_cdn(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert client.get("/redoc").status_code == 404


def test_pages_name_the_svg_favicon_which_is_also_served_as_favicon_ico(
    client: TestClient,
) -> None:
    login = client.get("/login")
    svg = client.get("/static/favicon.svg")
    ico = client.get("/favicon.ico")

    assert f'<link rel="icon" href="{static_url("favicon.svg")}" type="image/svg+xml">' in (
        login.text
    )
    assert svg.status_code == 200
    assert svg.text.startswith("<svg ")
    assert ico.status_code == 200
    assert ico.headers["content-type"] == "image/svg+xml"
    assert ico.content == svg.content
