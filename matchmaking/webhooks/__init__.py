"""Webhooks for API clients: signed, retried, logged, disabled when they keep failing.

``signing`` (Standard Webhooks signatures), ``network`` (only public http(s)
destinations, checked when sending), ``payloads`` (what an event says, to a
subscriber who may see it), ``delivery`` (subscriptions, attempts, backoff,
disabling), ``tasks`` (the task worker's side).
"""
