"""Admin forms: departments and users."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from core.terms import CLASSIFICATION_NAMES

CLEARANCES = [SelectChoice(level, _l(label)) for level, label in CLASSIFICATION_NAMES.items()]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DepartmentForm(FlaskForm):
    code = StringField(_l("部门代码"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("部门名称"), validators=[DataRequired(), Length(max=100)])
    sort_order = IntegerField(_l("排序"), default=100, validators=[Optional(), NumberRange(0, 100000)])


class UserForm(FlaskForm):
    username = StringField(_l("登录名"), validators=[DataRequired(), Length(max=128)])
    display_name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=100)])
    department = SelectField(_l("部门"), choices=[])
    roles = MultiCheckboxField(_l("角色"), choices=[])
    clearance = SelectField(_l("涉密等级"), choices=CLEARANCES, coerce=int, default=1)
    active = BooleanField(_l("启用"), default=True)
    password = PasswordField(_l("密码（本地账户；编辑时留空表示不修改）"), validators=[Optional(), Length(max=1024)])
