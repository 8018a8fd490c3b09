"""The gRPC front end (``calle.v1.Calle``) over :mod:`gateway.service`.

``generated/`` holds the code ``grpc_tools.protoc`` writes from ``calle.proto`` at install time
(``make install``); it is not in git and never edited by hand.
"""
