"""The process's Services and job runner as the web layer reaches them: kept on the Flask app by create_app,
looked up from the app of the request (or of the app context) that asks."""

from __future__ import annotations

from flask import Flask, current_app

from ..jobs import CeleryRunner, ThreadRunner
from ..services import Services

SERVICES_KEY = "maskwatch.services"
RUNNER_KEY = "maskwatch.jobs"


def attach(app: Flask, services: Services, runner: ThreadRunner | CeleryRunner) -> None:
    app.extensions[SERVICES_KEY] = services
    app.extensions[RUNNER_KEY] = runner


def services_of(app: Flask | None = None) -> Services:
    """The Services of `app` (default: the current app)."""
    return (app or current_app).extensions[SERVICES_KEY]


def runner_of(app: Flask | None = None) -> ThreadRunner | CeleryRunner:
    """Where video jobs and cameras of `app` (default: the current app) run."""
    return (app or current_app).extensions[RUNNER_KEY]
