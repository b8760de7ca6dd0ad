"""Forms of 督办, 职位代理 and the working-day calendar."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

KIND_CHOICES = [
    SelectChoice("outgoing", _l("发文")),
    SelectChoice("incoming", _l("收文")),
    SelectChoice("request", _l("签报")),
]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProxyForm(FlaskForm):
    principal = SelectField(_l("被代理人"), choices=[], validators=[Optional()])
    proxy = SelectField(_l("代理人"), choices=[], validators=[DataRequired(_l("请选择代理人。"))])
    starts_on = DateField(_l("开始日期"), validators=[DataRequired(_l("请填写开始日期。"))])
    ends_on = DateField(_l("结束日期（含当天）"), validators=[DataRequired(_l("请填写结束日期。"))])
    kinds = MultiCheckboxField(_l("代理范围（不选即全部公文）"), choices=KIND_CHOICES, validators=[Optional()])
    allow_sign = BooleanField(_l("允许代为签发（代理人须同样具有签发权限）"))
    move_existing = BooleanField(_l("已有待办也交由代理人办理"))
    reason = StringField(_l("事由"), validators=[Optional(), Length(max=1000)])


class RemindForm(FlaskForm):
    document_id = StringField(validators=[DataRequired()])
    target_id = StringField(validators=[DataRequired()])
    note = StringField(_l("催办说明"), validators=[Optional(), Length(max=1000)])


class CalendarDayForm(FlaskForm):
    day = DateField(_l("日期"), validators=[DataRequired(_l("请填写日期。"))])
    kind = SelectField(_l("安排"), choices=[
        SelectChoice("off", _l("放假")),
        SelectChoice("work", _l("调休上班")),
        SelectChoice("normal", _l("恢复正常（周一至周五上班）")),
    ])
    name = StringField(_l("名称"), validators=[Optional(), Length(max=50)])


class CalendarBlockForm(FlaskForm):
    name = StringField(_l("节日"), validators=[DataRequired(_l("请填写节日名称。")), Length(max=40)])
    first = DateField(_l("放假开始"), validators=[DataRequired(_l("请填写放假开始日期。"))])
    last = DateField(_l("放假结束"), validators=[DataRequired(_l("请填写放假结束日期。"))])
    makeup = StringField(_l("调休上班日（多个用逗号分隔，格式 2027-02-20）"), validators=[Optional(), Length(max=200)])


class CalendarYearForm(FlaskForm):
    year = StringField(_l("年份"), validators=[DataRequired()])
    source = StringField(_l("依据（通知文号或名称）"), validators=[Optional(), Length(max=200)])
    provisional = BooleanField(_l("预排，尚待核对"))


class NoteForm(FlaskForm):
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])
