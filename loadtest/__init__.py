"""Load tests and the benchmark against the single-process baseline.

- :mod:`loadtest.scenarios` and :mod:`loadtest.shapes`: Locust files (one scenario per file);
- :mod:`loadtest.chats`: seeded Korean group chats in every export format the gateway reads;
- :mod:`loadtest.command`: ``calle loadtest`` (headless run with thresholds) and
  ``calle benchmark`` (our stack against :mod:`loadtest.baseline`, the first version's
  single-process server).
"""
