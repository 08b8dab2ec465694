"""What runs inside the programs freezekit builds, as opposed to freezekit's build side.

The entry script rendered from ``templates/entry.py.tmpl`` hands two runs to this package
before the app's own code: ``appcheck`` (import the app as every child will) and
``selftest`` (start a child through every launch the program can make). Each backend bundles
both modules by name. They import nothing of the checker, the rewriter or the build, so that a
shipped program carries none of them; ``tests/freezekit/test_runtime.py`` holds them to that.
"""
