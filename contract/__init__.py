"""The Triton contract: the one place export, the runtime code and the gateway read names from.

A leaf package: it imports nothing of this project (the import-contract test keeps it so).
:mod:`contract.repository` names the models and the files of an exported repository;
:mod:`contract.tensors` names the tensors and config parameters each model takes and returns.
"""
