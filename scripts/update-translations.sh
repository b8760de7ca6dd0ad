#!/usr/bin/env bash
# Extract every translatable string (Chinese msgids) and merge them into the English catalog.
# Then fill the empty msgstr entries in intranet/translations/en/LC_MESSAGES/messages.po and run
# `make translations` to compile. tests/test_i18n.py fails while an entry is untranslated.
set -euo pipefail
cd "$(dirname "$0")/.."
pot=$(mktemp --suffix=.pot)
.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -k msg --no-location --sort-output \
  -o "$pot" intranet core notifications circulation documents supervision demo directory notices reporting inspection assessment library printing >/dev/null 2>&1
.venv/bin/pybabel update -i "$pot" -d intranet/translations -D messages --no-fuzzy-matching --ignore-obsolete >/dev/null
rm -f "$pot"
