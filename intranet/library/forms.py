"""Forms of the archive pages (the search form itself is a plain GET form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional


class UploadForm(FlaskForm):
    folder = SelectField(_l("存入"), choices=[])
    year = IntegerField(
        _l("年度"), validators=[Optional(), NumberRange(1949, 2100, message=_l("年度应在1949至2100之间"))]
    )
    file = FileField(_l("文件"), validators=[FileRequired(message=_l("请选择要上传的文件"))])


class RetryForm(FlaskForm):
    """CSRF only: the file id (or none for all) is in the URL."""
