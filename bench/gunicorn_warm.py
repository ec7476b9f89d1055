"""Gunicorn settings of the load benchmark: each worker warms its engine first.

The matching engine's index lives in each process; building it on the first
request would charge the benchmark's first seconds with it.
"""


def post_worker_init(worker) -> None:
    """Build this worker's engine index before it accepts connections."""
    from matchmaking.suggestions import engine_state

    engine_state()
