"""The REST API (/api/v1/): shared plumbing in ``base``, one module per resource
family.
"""
