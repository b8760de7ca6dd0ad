"""The Flask intranet: app factory, feature blueprints, templates, the CLI and the worker loop."""

from intranet.app import create_app

__all__ = ["create_app"]
