"""gunicorn's settings, which it reads from ./gunicorn.conf.py by itself (the Procfile's
command names none). The command line's options stay in the Procfile.

On SIGTERM a worker normally stops accepting and then waits for its open connections to
end, which WebSockets never do: it would be killed after the graceful timeout, with
writes cut short. Here it drains first (chat/realtime/shutdown.py): new Socket.IO
connections are refused, the events in flight finish, every client is told (by a
dropped connection) to reconnect, and then gunicorn's own exit runs. Each worker also
tunes its garbage collector once the app is loaded (chat/server.py).
"""

import signal

from gunicorn.workers.base import Worker


def post_worker_init(worker: Worker) -> None:
    """Drain on SIGTERM before the worker's usual exit; tune the garbage collector."""
    # Imported here, in the worker: the master reads this file before gevent patches
    # the standard library in the worker, and psycopg must be imported after that.
    from chat.extensions import socketio
    from chat.realtime import shutdown
    from chat.server import tune_garbage_collector

    tune_garbage_collector()
    shutdown.drain_on_sigterm(socketio.server, lambda: worker.handle_exit(signal.SIGTERM, None))
