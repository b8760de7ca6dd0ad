"""The test suite's plugins: everything shared lives in tests/support (no test imports a conftest).

- tests.support: free ports, waiting for a condition, file makers;
- tests.support.app: settings, db, app, client, runner, auth (both database passes, the seeded template);
- tests.support.bureau: the demo bureau's people and documents driven through their routes (`docs`, `flow`);
- tests.support.mail: a real SMTP server (`smtp_server`, `mail_settings`).
"""

import pytest

# Helpers that assert (measurements, page checks) get pytest's assertion messages too.
pytest.register_assert_rewrite("tests.support.gbt9704", "tests.printing.jobs", "tests.library.searching",
                               "tests.directory.bureau")

pytest_plugins = ["tests.support", "tests.support.app", "tests.support.bureau", "tests.support.mail"]
