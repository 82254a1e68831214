"""Access to the process's CloudSignal application (commands) and its read model."""

from flask import current_app

from events.application import CloudSignal


def current_domain() -> CloudSignal:
    return current_app.extensions["cloudsignal"]
