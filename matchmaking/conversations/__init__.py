"""The conversation of a match between its two sides (docs/notifications.md).

``services`` writes (post, hide, mark read), ``selectors`` reads (who may read
and write, the messages, unread counts), ``subjects`` tells the outbox who
hears about a new message and what they read, ``text`` turns a message's plain
text into safe HTML.
"""
