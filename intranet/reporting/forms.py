"""Forms of the 政务信息报送 pages (choices are filled by the views and checked by reporting.service)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

CATEGORIES = [SelectChoice("work", _l("工作动态")), SelectChoice("practice", _l("经验做法")),
              SelectChoice("suggestion", _l("问题建议")), SelectChoice("emergency", _l("突发事件"))]
HIGHER = [SelectChoice("department", _l("上级主管部门采用")), SelectChoice("province", _l("省级采用")),
          SelectChoice("national", _l("国家级采用"))]


class ItemForm(FlaskForm):
    unit = SelectField(_l("报送单位"), choices=[], validators=[Optional()], validate_choice=False)
    category = SelectField(_l("信息类别"), choices=CATEGORIES, default="work")
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题。")), Length(max=200)])
    body = TextAreaField(_l("正文"), validators=[DataRequired(_l("请填写正文。")), Length(max=20000)])
    event_at = DateTimeLocalField(_l("事件发生时间（突发事件必填）"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    call = SelectField(_l("回复约稿"), choices=[], validators=[Optional()], validate_choice=False)


class ReturnForm(FlaskForm):
    reasons = TextAreaField(_l("退回理由（一次性告知全部修改意见，每行一条）"),
                            validators=[DataRequired(_l("请填写退回理由。")), Length(max=5000)])


class AdoptForm(FlaskForm):
    issue = SelectField(_l("采用到"), choices=[], validators=[DataRequired(_l("请选择刊物期次。"))],
                        validate_choice=False)
    adopted_on = DateField(_l("采用日期"), validators=[Optional()])


class HigherForm(FlaskForm):
    level = SelectField(_l("采用级别"), choices=HIGHER, default="department")
    adopted_on = DateField(_l("采用日期"), validators=[DataRequired(_l("请填写采用日期。"))])
    note = StringField(_l("刊物或说明"), validators=[Optional(), Length(max=200)])


class CallForm(FlaskForm):
    theme = StringField(_l("约稿主题"), validators=[DataRequired(_l("请填写约稿主题。")), Length(max=200)])
    body = TextAreaField(_l("约稿要求"), validators=[Optional(), Length(max=20000)])
    deadline = DateField(_l("截止日期"), validators=[DataRequired(_l("请填写截止日期。"))])
    units = SelectMultipleField(_l("约稿单位"), choices=[], validators=[Optional()], validate_choice=False)


class IssueForm(FlaskForm):
    publication = SelectField(_l("刊物"), choices=[], validate_choice=False)


class UnitForm(FlaskForm):
    name = StringField(_l("单位名称"), validators=[DataRequired(_l("请填写单位名称。")), Length(max=100)])
    active = BooleanField(_l("在用"), default=True)


class MemberForm(FlaskForm):
    username = StringField(_l("账户"), validators=[DataRequired(_l("请填写账户。")), Length(max=128)])
    unit = SelectField(_l("下属单位"), choices=[], validators=[Optional()], validate_choice=False)


class ActionForm(FlaskForm):
    """CSRF only: ask for a PDF."""
