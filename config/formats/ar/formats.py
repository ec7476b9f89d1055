"""Arabic number formats over Django's: amounts grouped by thousands."""

NUMBER_GROUPING = 3
