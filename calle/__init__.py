"""CALL-E serving: command line, settings and the local Triton launcher."""
