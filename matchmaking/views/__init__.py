"""HTML pages of the matchmaking side, one module per topic (thin: reads come from
selectors).

Anything the viewer may not see is a 404, exactly like something missing.
"""
