"""Templates of freezekit, installed as the package ``freezekit.templates``.

A package (not a bare data directory) so that ``importlib.resources`` finds them in an
editable install as well as in a regular one.
"""
