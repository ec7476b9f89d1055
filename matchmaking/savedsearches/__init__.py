"""Saved searches: a catalogue or needs-register query kept as an alert.

A search is stored as the API's query string (``queries``: checked by the
API's FilterSets, the page's parameters translated to it); ``services`` saves
and deletes them; ``alerts`` finds the searches a new or changed record
matches, for its owner's eyes only, and records the events.
"""
