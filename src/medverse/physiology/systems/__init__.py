"""The physiological systems, each a set of compiled functions on one patient's rows.

Order inside one engine step (see ``engine._advance``):

fast (every ``dt_s``): rhythm -> cardiovascular -> respiratory mechanics and gas exchange
slow (every ``SLOW_EVERY`` steps): drugs -> conditions/interventions -> blood and fluids
-> metabolism and acid-base -> nervous control (baroreflex, chemoreflex) -> arrest logic
"""
