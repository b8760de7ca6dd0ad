"""Forms of the 通知公告 pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

KINDS = [SelectChoice("notice", _l("通知公告")), SelectChoice("publicity", _l("公示"))]


class NoticeForm(FlaskForm):
    kind = SelectField(_l("类型"), choices=KINDS, default="notice")
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题。")), Length(max=200)])
    body = TextAreaField(_l("正文"), validators=[Optional(), Length(max=20000)])
    everyone = BooleanField(_l("全体人员"), default=True)
    # Choices are checked by notices.service (with a reason), not by WTForms.
    departments = SelectMultipleField(_l("部门"), choices=[], validators=[Optional()], validate_choice=False)
    roles = SelectMultipleField(_l("角色"), choices=[], validators=[Optional()], validate_choice=False)
    pinned = BooleanField(_l("置顶"))
    publish_at = DateTimeLocalField(_l("发布时间（留空为立即发布）"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    expire_at = DateTimeLocalField(_l("截止时间（留空为长期有效）"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    period_workdays = IntegerField(_l("公示期（工作日）"), default=5, validators=[Optional(), NumberRange(1, 30)])


class ObjectionForm(FlaskForm):
    body = TextAreaField(_l("意见"), validators=[DataRequired(_l("请填写意见内容。")), Length(max=2000)])
    anonymous = BooleanField(_l("匿名（仅办公室可见姓名）"))


class HandlingForm(FlaskForm):
    handling = TextAreaField(_l("处理情况"), validators=[DataRequired(_l("请填写处理情况。")), Length(max=2000)])


class OutcomeForm(FlaskForm):
    outcome = TextAreaField(_l("公示结果"), validators=[DataRequired(_l("请填写公示结果。")), Length(max=20000)])


class ActionForm(FlaskForm):
    """CSRF only: remind, file."""
