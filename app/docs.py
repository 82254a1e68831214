"""The API's documentation page at `/v2/docs`: Swagger UI rendering `/v2/openapi.json`.

Swagger UI comes from the pinned npm package `swagger-ui-dist` (docs/renderer/package.json);
`make docs-ui` (part of `make deps`) copies its standalone bundle into `app/static/docs/`, and this
blueprint serves it from there: the page loads nothing from any other origin, so it works offline.
"""

from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory

ASSETS = Path(__file__).resolve().parent / "static" / "docs"
FILES = ("swagger-ui-bundle.js", "swagger-ui.css")

blp = Blueprint("docs_page", __name__, url_prefix="/v2/docs")

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>CloudSignal API reference</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/v2/docs/assets/swagger-ui.css">
  <link rel="stylesheet" href="/v2/docs/page.css">
</head>
<body>
  <header class="cs-header">
    <strong>CloudSignal API</strong>
    <a href="/v2/openapi.json">openapi.json</a>
    <a href="/llms.txt">llms.txt</a>
    <a href="/llms-full.txt">llms-full.txt</a>
  </header>
  <div id="swagger-ui"></div>
  <script src="/v2/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/v2/docs/init.js"></script>
</body>
</html>
"""

INIT = """window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/v2/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    displayOperationId: true,
    displayRequestDuration: true,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    persistAuthorization: false,
    tryItOutEnabled: false,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  })
})
"""

STYLE = """body { margin: 0; font-family: sans-serif; }
.cs-header { display: flex; gap: 1.5em; align-items: baseline; padding: 0.8em 1.5em; background: #1b2a3a; color: #fff; }
.cs-header a { color: #9fd3ff; }
"""

MISSING = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CloudSignal API reference</title></head>
<body><h1>CloudSignal API reference</h1>
<p>The page's renderer is not installed on this server: run <code>make docs-ui</code> (or <code>make deps</code>).
Meanwhile the document itself is at <a href="/v2/openapi.json">/v2/openapi.json</a>, and a summary for agents at
<a href="/llms.txt">/llms.txt</a>.</p></body></html>
"""

# Same-origin only; Swagger UI sets inline styles and draws icons from data: URLs.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _reply(body: str, mimetype: str, status: int = 200) -> Response:
    response = Response(body, status=status, mimetype=mimetype)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blp.get("")
def page() -> Response:
    if not all((ASSETS / name).is_file() for name in FILES):
        return _reply(MISSING, "text/html", 503)
    return _reply(PAGE, "text/html")


@blp.get("/init.js")
def init_script() -> Response:
    return _reply(INIT, "text/javascript")


@blp.get("/page.css")
def page_style() -> Response:
    return _reply(STYLE, "text/css")


@blp.get("/assets/<path:name>")
def asset(name: str) -> Response:
    if name not in FILES:
        abort(404)
    response = send_from_directory(ASSETS, name, max_age=3600)
    response.headers["Content-Security-Policy"] = CSP
    return response
