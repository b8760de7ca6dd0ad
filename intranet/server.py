"""HTTP servers: waitress for the one-process demo (`eoffice run`), gunicorn for production (`eoffice web`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask
from waitress.server import create_server

from config import Settings

log = logging.getLogger("eoffice.web")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s pid=%(process)d %(message)s"
# One greppable line per request, key=value like the rest of the logs; `remote` is the desk's address
# (after X-Forwarded-For when web.proxies > 0), `ms` the time spent in the app.
ACCESS_FORMAT = 'remote=%(h)s method=%(m)s path="%(U)s" query="%(q)s" status=%(s)s bytes=%(B)s ms=%(M)s ua="%(a)s"'


def make_server(app: Flask, host: str, port: int, threads: int) -> Any:
    """Bind the server (raises OSError when the port is taken) without serving yet."""
    return create_server(app, host=host, port=port, threads=threads, ident="eoffice",
                         clear_untrusted_proxy_headers=True, channel_timeout=120)


def behind_proxies(app: Flask, proxies: int) -> Flask:
    """Trust X-Forwarded-For/-Proto/-Host from `proxies` reverse proxies (nginx), so the app sees the desk."""
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    return app


def gunicorn_options(settings: Settings, host: str, port: int, workers: int) -> dict[str, Any]:
    """Return gunicorn's settings for eoffice: threaded workers, recycled now and then, logs on stderr."""
    web = settings.web
    return {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        "worker_class": "gthread",
        "threads": web.threads,
        "timeout": web.timeout_seconds,
        "graceful_timeout": 30,
        "keepalive": 5,
        # Recycle workers now and then so a slow leak never grows into an outage.
        "max_requests": 5000,
        "max_requests_jitter": 500,
        "proc_name": "eoffice-web",
        # ProxyFix (web.proxies) does the trusting; gunicorn must not rewrite the scheme on its own.
        "forwarded_allow_ips": "",
        "accesslog": "-",
        "errorlog": "-",
        "access_log_format": ACCESS_FORMAT,
        "logconfig_dict": {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"eoffice": {"format": LOG_FORMAT}},
            "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "eoffice",
                                    "stream": "ext://sys.stderr"}},
            # Replaces the root handler of logs.setup(): the same format, plus each worker's pid.
            "root": {"level": "INFO", "handlers": ["stderr"]},
            "loggers": {
                "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
                "gunicorn.access": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            },
        },
    }


def serve_gunicorn(app_factory: Callable[[], Flask], options: dict[str, Any]) -> None:
    """Run gunicorn's arbiter in this process until SIGTERM/SIGINT; each worker builds its own app."""
    from gunicorn.app.base import BaseApplication

    class EofficeApplication(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            # Built after the fork: every worker gets its own database pool.
            return app_factory()

    EofficeApplication().run()
