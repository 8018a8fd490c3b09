"""``calle benchmark``: our stack against the single-process baseline, on one machine, in one go.

The same chat-to-image scenario runs against the baseline (:mod:`loadtest.baseline`) and
against Triton + gateway at several user counts; an in-process reference (the exported
engines) at one user shows what the gateway and Triton add. Speeds are reported as ratios
measured in the same run, with the raw figures beside them (the machines are shared and noisy).
"""
