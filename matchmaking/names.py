"""Organisation names compared as a reader sees them.

Two names are the same when they differ only in case, accents, compatibility
forms (full-width letters, ligatures), spacing or letters that look like Latin
ones (Cyrillic and Greek look-alikes: "United" with a Cyrillic "e").
"""

from __future__ import annotations

import unicodedata

# Common Cyrillic and Greek look-alikes of Latin letters, after case folding
# (upper-case look-alikes fold to these lower-case letters first). Written as
# escapes: the characters themselves are indistinguishable in an editor.
_LOOK_ALIKES = (
    "\u0430\u0432\u0435\u0451\u0437\u0456\u0457\u0458\u043a\u043c"
    "\u043d\u043e\u043f\u0440\u0441\u0442\u0443\u0445\u0455\u04bb"
    "\u0501\u051b\u051d\u04cf\u04af\u028f\u03b1\u03b2\u03b3\u03b5"
    "\u03b6\u03b7\u03b9\u03ba\u03bc\u03bd\u03bf\u03c1\u03c4\u03c5"
    "\u03c7\u03f2\u03f3"
)
_LATIN = "abee3iijkmhonpctyxshdqwlyyabyeznikmvoptuxcj"
_CONFUSABLES = str.maketrans(_LOOK_ALIKES, _LATIN)


def name_key(name: str) -> str:
    """The form of a name that must be unique: NFKC, case folded, accents
    stripped, look-alike letters mapped to Latin, spaces collapsed."""
    text = unicodedata.normalize("NFKC", name).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = stripped.translate(_CONFUSABLES)
    return " ".join(unicodedata.normalize("NFC", folded).split())
