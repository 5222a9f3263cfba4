"""`flask demo load`: demonstration data (development only).

It sits above every feature it fills (accounts, outlets, the workflow's applications), so that
the ground floor (core/) imports none of them; the app factory registers its command.
"""
