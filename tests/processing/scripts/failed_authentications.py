"""Make N peers fail authentication against a manager's server, then shut it down: the
program's stderr is what the rate-limiting test reads.

    failed_authentications.py METHOD N
"""

import sys
from multiprocessing import connection as stdlib_connection

import processing
from processing import connection
from processing.managers import SyncManager


def one_warning_per_hour():
    connection.AUTH_WARNING_INTERVAL = 3600.0


if __name__ == "__main__":
    method, count = sys.argv[1], int(sys.argv[2])
    manager = SyncManager(authkey=b"right key", ctx=processing.getContext(method))
    manager.start(one_warning_per_hour)
    for _ in range(count):
        try:
            stdlib_connection.Client(manager.address, authkey=b"wrong key").close()
        except processing.AuthenticationError:
            pass
        else:
            raise SystemExit("a wrong key was accepted")
    assert manager.list([1, 2])[:] == [1, 2]  # still serving
    manager.shutdown()
    sys.stderr.write("done\n")
