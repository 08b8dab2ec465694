import multiprocessing

# Runs whenever anything imports this module: in every spawned child of the app, too.
POOL = multiprocessing.Pool(2)
