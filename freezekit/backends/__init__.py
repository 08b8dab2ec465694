"""One adapter per freezer, behind one interface."""
