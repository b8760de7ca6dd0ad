"""Forms of the document pages (Flask-WTF: CSRF on every post)."""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from core.terms import CLASSIFICATION_NAMES, RETENTION_NAMES, RETENTION_ORDER, URGENCY_NAMES

URGENCIES = [
    SelectChoice(code, _l(label)) for code, label in URGENCY_NAMES.items()
]
CLASSIFICATIONS = [SelectChoice(str(level), _l(label)) for level, label in CLASSIFICATION_NAMES.items()]
RETENTIONS = [SelectChoice(code, _l(RETENTION_NAMES[code])) for code in RETENTION_ORDER]
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
    upward = BooleanField(_l("上行文（向上级机关报送，版头标注签发人）"))
    secrecy_period = StringField(_l("保密期限"), validators=[Optional(), Length(max=20)])

    def __init__(self, *args: Any, obj: Any = None, **kwargs: Any) -> None:
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


class RedheadTemplateForm(FlaskForm):
    """Upload of a red-header (套红) template: a name, the 发文机关 and kind it serves, the .docx (the name
    and the file are checked by documents.redhead_templates.upload, all problems at once)."""

    name = StringField(_l("模板名称"), validators=[Optional()])
    organ = StringField(_l("发文机关"), validators=[Optional(), Length(max=100)])
    kind = SelectField(_l("适用文种"), choices=[SelectChoice("", _l("不限")), *KINDS], default="outgoing")
