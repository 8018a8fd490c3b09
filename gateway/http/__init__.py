"""The HTTP front end: FastAPI routers by feature over :mod:`gateway.service`."""
