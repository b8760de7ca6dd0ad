"""Printing forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from core.terms import CLASSIFICATION_NAMES
from printing.service import PrintOptions

MEDIA = [SelectChoice("auto", _l("按文件纸张"))] + [SelectChoice(m, m) for m in ("A4", "A3", "B4", "B5", "A5")]
QUALITY = [
    SelectChoice("normal", _l("普通")),
    SelectChoice("high", _l("高质量")),
    SelectChoice("draft", _l("草稿（省墨）")),
]
DUPLEX = [
    SelectChoice("", _l("默认（部门打印机双面）")),
    SelectChoice("two", _l("双面")),
    SelectChoice("one", _l("单面")),
]
CLASSIFICATIONS = [SelectChoice(level, _l(label)) for level, label in CLASSIFICATION_NAMES.items()]


class DocumentPrintForm(FlaskForm):
    """The print choices, one set for every place that prints: a 公文's file (its 密级 comes from the
    document) and, through PrintForm, the print page."""

    media = SelectField(_l("纸张"), choices=MEDIA, default="auto")
    copies = IntegerField(_l("份数"), default=1, validators=[NumberRange(1, 999)])
    page_ranges = StringField(_l("页码范围（留空为全部，如 1-3,5）"), validators=[Optional(), Length(max=200)])
    duplex = SelectField(_l("单双面"), choices=DUPLEX, default="")
    color = BooleanField(_l("彩色"))
    quality = SelectField(_l("打印质量"), choices=QUALITY, default="normal")
    prefer_central = BooleanField(_l("送文印室打印"))


class PrintForm(DocumentPrintForm):
    """The print page: the same choices, plus the file (uploaded or from the archive) and its 密级."""

    document = FileField(_l("文件（PDF、Word .docx 或 文本 .txt）"))
    archive_file = HiddenField()
    classification = SelectField(_l("密级"), choices=CLASSIFICATIONS, coerce=int, default=1)


def print_options(form: DocumentPrintForm, classification: int | None) -> PrintOptions:
    """The form's choices as PrintOptions; `classification` None: the source decides (an archive file)."""
    return PrintOptions(
        media=form.media.data or "auto", color=bool(form.color.data), quality=form.quality.data or "normal",
        copies=form.copies.data or 1, page_ranges=form.page_ranges.data or "",
        prefer_central=bool(form.prefer_central.data),
        duplex={"two": True, "one": False}.get(form.duplex.data or ""),  # "": the policy's default
        classification=classification,
    )


class MoveForm(FlaskForm):
    queue = SelectField(_l("改送到"), choices=[])


class ActionForm(FlaskForm):
    """CSRF only: release and cancel buttons."""
