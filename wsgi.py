"""gunicorn entry point: `gunicorn wsgi:app`."""

from app import create_app
from app.observability import configure_logging

configure_logging()
app = create_app()
