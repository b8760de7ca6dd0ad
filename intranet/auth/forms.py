"""Login form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField


class LoginForm(FlaskForm):
    # Lengths are checked by the service so every refusal is audited and rate limited alike.
    username = StringField(_l("用户名"))
    password = PasswordField(_l("密码"))
    next = HiddenField()


class PasswordChangeForm(FlaskForm):
    """修改密码 of a local account: the current password, the new one twice."""

    current = PasswordField(_l("当前密码"))
    new = PasswordField(_l("新密码"))
    confirm = PasswordField(_l("再次输入新密码"))
