from tests.support.app import DEMO_PASSWORD


def test_login_home(client, auth):
    resp = auth.login("clerk")
    assert resp.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "赵丽娟" in html and "办公室" in html and "办公室文书" in html


def test_wrong_password(client, auth):
    resp = auth.login("clerk", DEMO_PASSWORD + "x")
    assert resp.status_code == 401
    assert "用户名或密码错误" in resp.get_data(as_text=True)
