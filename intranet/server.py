"""Serve the WSGI app with waitress (a production-grade, pure-Python server)."""

from __future__ import annotations

import logging

from flask import Flask
from waitress.server import create_server

log = logging.getLogger("eoffice.web")


def make_server(app: Flask, host: str, port: int, threads: int):  # type: ignore[no-untyped-def]
    """Bind the server (raises OSError when the port is taken) without serving yet."""
    return create_server(app, host=host, port=port, threads=threads, ident="eoffice",
                         clear_untrusted_proxy_headers=True, channel_timeout=120)
