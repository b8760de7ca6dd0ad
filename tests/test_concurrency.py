"""Concurrent form posts on SQLite: read-then-write requests never fail with "database is locked"."""

from __future__ import annotations

import threading

from tests.support.app import DEMO_PASSWORD, AuthActions


def test_concurrent_logins_all_succeed(app, db):
    accounts = ["clerk", "lz_staff", "lz_head", "zl_staff", "zl_head", "archivist", "printroom", "office_head"]
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(len(accounts))

    def sign_in(name: str) -> None:
        try:
            client = app.test_client()
            auth = AuthActions(client)
            start.wait()
            for _ in range(3):
                token = auth.csrf("/login")  # signing in starts a new session, with a new token
                resp = client.post("/login", data={"username": name, "password": DEMO_PASSWORD, "csrf_token": token})
                with lock:
                    statuses.append(resp.status_code)
                client.get("/")  # a read between writes, like a real browser
                client.post("/logout", data={"csrf_token": auth.csrf("/")})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sign_in, args=(n,)) for n in accounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert statuses == [302] * (3 * len(accounts))
