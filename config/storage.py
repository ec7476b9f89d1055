"""Static files storage of production: WhiteNoise's hashed, compressed files."""

from __future__ import annotations

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed names (cache forever), gzip/brotli copies, and a strict manifest.

    Vendored libraries (``static/vendor/``) are kept exactly as published, and
    some name files they do not ship: swagger-ui's CSS its source map,
    GOV.UK Frontend's CSS the crest image of a footer logo this site does not
    use. Such a reference inside ``vendor/`` is left as it is, with a warning,
    instead of failing ``collectstatic``; a missing file anywhere else (our
    own CSS and JS) still fails it.
    """

    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            if not name.startswith("vendor/"):
                raise
            logger.warning("static file %s is referenced but not shipped", name)
            return name
