"""Forms of the 督查督办 pages (choices are filled by the views; the service checks them with reasons)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from core.messages import N_

KIND_CHOICES = [SelectChoice("ordinary", _l("一般")), SelectChoice("urgent", _l("紧急"))]
SCHEDULE_CHOICES = [SelectChoice("monthly", _l("每月反馈")), SelectChoice("weekly", _l("每周反馈")),
                    SelectChoice("quarterly", _l("每季度反馈")), SelectChoice("milestones", _l("按节点反馈")),
                    SelectChoice("none", _l("不定期反馈"))]
MODES = {"document": N_("从收文立项（批示件、上级来文）"), "meeting": N_("会议议定事项（一次登记多项）"),
         "plan": N_("重点工作（每项带工作节点）"), "manual": N_("手工立项")}


class ItemForm(FlaskForm):
    """立项: the common fields, plus the 收文 (document mode), the lines (meeting and plan) or the content."""

    source_kind = SelectField(_l("事项来源"), choices=[], validate_choice=False)
    document_id = SelectField(_l("来源收文"), choices=[], validate_choice=False)
    source_text = StringField(_l("来源说明"), validators=[Optional(), Length(max=300)])
    content = TextAreaField(_l("督办事项内容"), validators=[Optional(), Length(max=2000)])
    lines = TextAreaField(_l("事项（每行一项）"), validators=[Optional(), Length(max=20000)])
    leader_id = SelectField(_l("分管领导"), choices=[], validate_choice=False)
    lead_department_id = SelectField(_l("主办单位"), choices=[], validate_choice=False)
    co_department_ids = SelectMultipleField(_l("协办单位"), choices=[], validate_choice=False)
    person_id = SelectField(_l("责任人"), choices=[], validate_choice=False)
    kind = SelectField(_l("类别"), choices=KIND_CHOICES, default="ordinary")
    schedule = SelectField(_l("进展反馈"), choices=SCHEDULE_CHOICES, default="monthly")
    registered_on = DateField(_l("立项日期（留空为今天）"), validators=[Optional()])
    deadline = DateField(_l("办理时限（留空按类别自动计算）"), validators=[Optional()])
    milestones = TextAreaField(_l("工作节点（每行一个：2027-03-31 完成内容）"),
                               validators=[Optional(), Length(max=5000)])


class FeedbackForm(FlaskForm):
    body = TextAreaField(_l("进展情况"), validators=[DataRequired(_l("请填写进展情况。")), Length(max=4000)])


class ClosingForm(FlaskForm):
    report = TextAreaField(_l("办结报告"), validators=[DataRequired(_l("请填写办结报告（办理过程和结果）。")),
                                                   Length(max=4000)])


class JudgeForm(FlaskForm):
    decision = SelectField(_l("审核意见"), choices=[SelectChoice("accept", _l("同意办结")),
                                                        SelectChoice("return", _l("退回"))])
    reason = TextAreaField(_l("退回理由"), validators=[Optional(), Length(max=4000)])


class RemindForm(FlaskForm):
    note = StringField(_l("催办附言"), validators=[Optional(), Length(max=500)])


class PersonForm(FlaskForm):
    person_id = SelectField(_l("新责任人"), choices=[], validate_choice=False)


class ActionForm(FlaskForm):
    """CSRF only: confirm."""
