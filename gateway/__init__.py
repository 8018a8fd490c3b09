"""The CALL-E gateway: chats in, summaries and pictures out, everything heavy in Triton.

Organised by feature: :mod:`gateway.ingest` turns uploads into a dialogue,
:mod:`gateway.service` is the one place the HTTP routes (:mod:`gateway.http`) and the gRPC
servicer (:mod:`gateway.grpc`) call, :mod:`gateway.triton_models` talks to Triton, and
:mod:`gateway.errors` defines the errors every layer maps once to its own status codes.
"""
