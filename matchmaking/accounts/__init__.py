"""Accounts and credentials: two-factor sign-in, personal API tokens and the
authentication backends.
"""
