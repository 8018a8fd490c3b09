"""The yardstick: the first version of the service, one model in one web process.

The same checkpoints as our stack, loaded once as globals in PyTorch
(:mod:`loadtest.baseline.models`); every request is summarized and then drawn on one worker
thread, so the second person to ask waits for the first person's whole summary and picture
(:mod:`loadtest.baseline.backend`). It is a :class:`gateway.backend.Backend` behind the
gateway's own app (:func:`gateway.http.app.create_app`), so the same Locust scenarios run
against both and a client cannot tell them apart except by how long it waits. Run it with
``python -m loadtest.baseline``; it is a measuring stick, never deployed.
"""
