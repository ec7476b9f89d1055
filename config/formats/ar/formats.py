"""Arabic formats over Django's: amounts grouped by thousands, and dates with
times day before month on a 24-hour clock (Django's Arabic locale has no date
and time formats of its own, so a message's time fell back to the US
"12/07/2026 1:22 م" for 7 December)."""

DATETIME_FORMAT = "j F، Y H:i"
SHORT_DATETIME_FORMAT = "d\u200f/m\u200f/Y H:i"
NUMBER_GROUPING = 3
