"""Triton models of CALL-E and the runtime code their ``model.py`` files share.

Each model folder (``summarizer/``, ``unet/``, ...) holds a tracked ``config.pbtxt`` template and
``1/model.py``; ``calle export`` assembles them with the exported graphs into a servable
repository. The modules beside them are imported by those ``model.py`` files and by the tests.
"""
