"""Forms of the document pages (Flask-WTF: CSRF on every post)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

URGENCIES = [
    SelectChoice("normal", _l("平件")),
    SelectChoice("urgent", _l("加急")),
    SelectChoice("very_urgent", _l("特急")),
]
CLASSIFICATIONS = [
    SelectChoice("0", _l("公开")),
    SelectChoice("1", _l("内部")),
    SelectChoice("2", _l("秘密")),
    SelectChoice("3", _l("机密")),
    SelectChoice("4", _l("绝密")),
]
RETENTIONS = [
    SelectChoice("D30", _l("定期30年")),
    SelectChoice("Y", _l("永久")),
    SelectChoice("D10", _l("定期10年")),
]
KINDS = [
    SelectChoice("outgoing", _l("发文")),
    SelectChoice("incoming", _l("收文")),
    SelectChoice("request", _l("签报")),
]


class DocumentForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(), Length(max=300)])
    urgency = SelectField(_l("紧急程度"), choices=URGENCIES, default="normal")
    classification = SelectField(_l("密级"), choices=CLASSIFICATIONS, default="1")
    main_recipients = StringField(_l("主送"), validators=[Optional(), Length(max=1000)])
    cc_recipients = StringField(_l("抄送"), validators=[Optional(), Length(max=1000)])
    deadline = DateField(_l("办理期限"), validators=[Optional()])
    retention = SelectField(_l("保管期限"), choices=RETENTIONS, default="D30")
    source_organ = StringField(_l("来文机关"), validators=[Optional(), Length(max=200)])
    source_number = StringField(_l("来文字号"), validators=[Optional(), Length(max=100)])
    received_on = DateField(_l("收文日期"), validators=[Optional()])

    def __init__(self, *args, obj=None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, obj=obj, **kwargs)
        if obj is not None and not self.is_submitted():
            self.classification.data = str(obj.classification)


class ActionForm(FlaskForm):
    """The CSRF token and the opinion; the other fields of an action are read from the request."""

    opinion = TextAreaField(_l("意见"), validators=[Optional(), Length(max=4000)])


class TemplateForm(FlaskForm):
    code = StringField(_l("模板代码"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("模板名称"), validators=[DataRequired(), Length(max=100)])
    kind = SelectField(_l("公文种类"), choices=KINDS)
    active = BooleanField(_l("启用"), default=True)
