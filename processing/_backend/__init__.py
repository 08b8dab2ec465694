"""Everything about starting a child, and nothing else.

- ``launch.py``: every launch command line, ours and every one a frozen program recognises,
  around one ``LaunchData`` type;
- ``dispatch.py``: what a frozen program does with its command line (run the child it names,
  refuse an unknown launch);
- ``bootstrap.py``: the payload a parent sends, and the child's entry that reads it;
- ``mainmodule.py``: the parent's main module imported as ``__mp_main__`` (bootstrap and
  fork server), and the refusal to start processes meanwhile;
- ``signals.py``: the stop signal, held back during a launch and handled in one place;
- ``popen_fork.py``, ``popen_spawn_posix.py``, ``popen_spawn_win32.py``,
  ``popen_forkserver.py``: one launcher per start method; ``forkserver.py``: our fork server;
- ``spawn_child.py``: the stdlib's (or ``multiprocess``'s) spawn children of a frozen
  program; ``forktemplate.py``: a fork pool's replacement workers, forked from a
  single-threaded helper.

Used by ``process.py`` (signals, the refusal), ``context.py`` (a launcher per start method)
and ``freezing.py`` (dispatch); none of these modules imports them back at module level, and
they find the default context through ``processing._defaultctx``.
"""
