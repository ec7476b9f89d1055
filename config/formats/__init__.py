"""Date and time formats per language (FORMAT_MODULE_PATH).

Templates use the named formats (``date:"SHORT_DATE_FORMAT"``) so each
language writes dates its own way; only English is overridden here, to keep
the platform's day-month-year style. The other languages use Django's own
locale formats.
"""
