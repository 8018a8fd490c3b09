"""The yardstick: the first version of the service, one model in one web process.

The same checkpoints as our stack, loaded once as globals in PyTorch; every request is
summarized and then drawn on one worker thread, so the second person to ask waits for the
first person's whole summary and picture. It answers the same HTTP contract as the gateway
for the endpoints the load test uses, so the same Locust scenarios run against both. Run it
with ``python -m loadtest.baseline``; it is a measuring stick, never deployed.
"""
