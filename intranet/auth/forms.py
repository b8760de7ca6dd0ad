"""Login form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField


class LoginForm(FlaskForm):
    # Lengths are checked by the service so every refusal is audited and rate limited alike.
    username = StringField(_l("用户名"))
    password = PasswordField(_l("密码"))
    next = HiddenField()
