"""User-facing domain messages and the one domain error type.

Below the web layer there is no request and no language: a service that refuses something raises a
`DomainError` whose text is a `Message`. A Message *is* its Chinese text (a ``str``), so logs, tests
and the command line read it as before, and it remembers its catalog id and parameters, so the web
layer shows it in the reader's language (`translate`). The ids are extracted into the catalog by
``scripts/update-translations.sh`` (keywords ``msg`` and ``N_``); tests/test_i18n.py fails while one
has no English.

Writing a message::

    raise WorkflowError(msg("第%(n)d步：key「%(key)s」重复。", n=3, key="sign"))

Parameters are formatted with ``%`` (named only); a parameter that is itself a Message is translated
too, anything else (a title, a person's name, a 文号) is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

Gettext = Callable[[str], str]


def N_(text: str) -> str:
    """Mark a constant (a label in a table) for the catalog; it is translated where it is shown."""
    return text


class Message(str):
    """A catalog message with its parameters; ``str(m)`` is the Chinese text.

    Attributes: ``msgid`` (the Chinese text with ``%(name)s`` placeholders) and ``params`` (a dict).
    Concatenating a Message with another string gives a plain ``str`` (no longer translatable): keep
    lists of Messages instead (`DomainError.problems`).
    """

    msgid: str
    params: Mapping[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Message:
        text = msgid % {k: str(v) if isinstance(v, Message) else v for k, v in params.items()} if params else msgid
        obj = super().__new__(cls, text)
        obj.msgid = msgid
        obj.params = params
        return obj

    def __reduce__(self) -> tuple[Any, ...]:  # pickling (worker results) keeps the id
        return (_rebuild, (self.msgid, dict(self.params)))

    def translated(self, gettext: Gettext) -> str:
        """Return the text in the language of `gettext` (a one-argument catalog lookup)."""
        values = {k: v.translated(gettext) if isinstance(v, Message) else v for k, v in self.params.items()}
        template = gettext(self.msgid)
        try:
            return template % values if values else template
        except (KeyError, ValueError, TypeError):  # a translation with a broken placeholder: Chinese
            return str(self)


def _rebuild(msgid: str, params: dict[str, Any]) -> Message:
    return Message(msgid, **params)


def msg(msgid: str, **params: Any) -> Message:
    """Return the Message `msgid` with named `params` (``%(name)s`` placeholders)."""
    return Message(msgid, **params)


def translate(text: object, gettext: Gettext) -> str:
    """Return `text` in the reader's language when it is a Message, else ``str(text)`` unchanged."""
    if isinstance(text, Message):
        return text.translated(gettext)
    return "" if text is None else str(text)


def to_data(text: object) -> dict[str, Any]:
    """Return `text` as JSON-ready data that keeps a Message translatable when stored (print reasons).

    Shape: ``{"text": <Chinese text>}`` plus ``"msgid"`` and ``"params"`` for a Message (a parameter
    that is itself a Message is stored the same way). `from_data` is the inverse.
    """
    if not isinstance(text, Message):
        return {"text": "" if text is None else str(text)}
    params = {k: to_data(v) if isinstance(v, Message) else v for k, v in text.params.items()}
    return {"text": str(text), "msgid": text.msgid, "params": params}


def from_data(data: Mapping[str, Any]) -> str:
    """Return the stored text: a Message again when it was stored with its id, else the plain text."""
    msgid = data.get("msgid")
    if not isinstance(msgid, str):
        return str(data.get("text", ""))
    raw = data.get("params") or {}
    params = {k: from_data(v) if isinstance(v, dict) else v for k, v in raw.items()}
    try:
        return Message(msgid, **params)
    except (KeyError, ValueError, TypeError):  # stored by an older catalog: show what was stored
        return str(data.get("text", ""))


class DomainError(ValueError):
    """An action was refused by a rule of the bureau; the message says why and what to do.

    ``problems`` lists every problem found (一次性告知: the person is told all of them at once); it
    defaults to the one message. Every refusal a person can cause derives from this class, so the web
    layer handles all of them in one place (intranet/actions.py).
    """

    def __init__(self, message: str, *, problems: Iterable[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[str] = list(problems) if problems is not None else [message]
        if not self.problems:
            self.problems = [message]

    def __str__(self) -> str:
        return str(self.message)
