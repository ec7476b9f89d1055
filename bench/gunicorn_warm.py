"""Gunicorn settings of the load benchmarks, beside the command-line options.

Nothing is warmed before a worker takes requests: web workers hold no
matching index (pages and the API read what the task worker stored), so a
worker is ready once Django is loaded.
"""
