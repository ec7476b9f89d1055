"""Simplified Chinese number formats over Django's: amounts grouped by
thousands with a comma, as in financial figures (Django's own has no
separator)."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
