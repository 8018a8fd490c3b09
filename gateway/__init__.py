"""The CALL-E gateway: chats in, summaries and pictures out, everything heavy in Triton.

Organised by feature: :mod:`gateway.ingest` turns uploads into a dialogue,
:mod:`gateway.service` is the one place the HTTP routes (:mod:`gateway.http`) and the gRPC
servicer (:mod:`gateway.grpc`) call, a :class:`gateway.backend.Backend` runs the models
(:mod:`gateway.triton` when served), :mod:`gateway.server` runs the HTTP and gRPC fronts side
by side, and :mod:`gateway.errors` defines the errors every layer maps once to its own status
codes.
"""
