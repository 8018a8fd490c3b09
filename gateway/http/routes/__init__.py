"""One router per feature; the ``/v1`` ones need the API key when keys are on."""
