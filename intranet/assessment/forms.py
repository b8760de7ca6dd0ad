"""Forms of the 目标绩效考核 pages (Flask-WTF: CSRF on every post). Choices and the rules are checked by
assessment.service, which says what to do."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import FloatField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class TargetForm(FlaskForm):
    year = IntegerField(_l("年度"), validators=[DataRequired(_l("请填写年度。")), NumberRange(2000, 2100)])
    department = SelectField(_l("部门"), choices=[], validate_choice=False)
    category = SelectField(_l("类别"), choices=[], validate_choice=False)
    content = TextAreaField(_l("目标内容"), validators=[DataRequired(_l("请填写目标内容。")), Length(max=1000)])
    measure = TextAreaField(_l("考核标准"), validators=[Optional(), Length(max=1000)])
    person = StringField(_l("责任人"), validators=[Optional(), Length(max=100)])
    q1 = StringField(_l("一季度节点"), validators=[Optional(), Length(max=500)])
    q2 = StringField(_l("二季度节点"), validators=[Optional(), Length(max=500)])
    q3 = StringField(_l("三季度节点"), validators=[Optional(), Length(max=500)])
    q4 = StringField(_l("四季度节点"), validators=[Optional(), Length(max=500)])
    weight = FloatField(_l("分值（可不填，按1分计）"), validators=[Optional()])


class ImportForm(FlaskForm):
    year = IntegerField(_l("年度"), validators=[DataRequired(_l("请填写年度。")), NumberRange(2000, 2100)])
    file = FileField(_l("目标表格（.xlsx）"))


class SelfCheckForm(FlaskForm):
    """The statuses and evidence per target come as status-<id> / evidence-<id> fields."""

    summary = TextAreaField(_l("总体情况"), validators=[Optional(), Length(max=5000)])
    attachment = FileField(_l("附件（可选）"))


class ReturnForm(FlaskForm):
    reason = TextAreaField(_l("退回原因"), validators=[DataRequired(_l("请填写退回原因，说明需要补充或修改的内容。")),
                                                  Length(max=2000)])


class ActionForm(FlaskForm):
    """CSRF only: delete a target."""
