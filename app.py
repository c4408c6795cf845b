"""Entry point. `app` serves gunicorn and `flask --app app`; `python app.py` runs a server.

`python app.py` patches the standard library for the chosen async mode before anything
else is imported, applies migrations, prints the first organiser's one-time link when
there is none, and serves on CHAT_HOST:PORT (127.0.0.1:5000 by default).
"""

import os

if __name__ == "__main__":
    os.environ.setdefault("CHAT_ENV", "development")
    if os.environ.get("CHAT_ASYNC_MODE", "gevent") == "gevent":
        from gevent import monkey

        monkey.patch_all()
    elif os.environ["CHAT_ASYNC_MODE"] == "eventlet":
        import eventlet

        eventlet.monkey_patch()

from chat import create_app

app = create_app()

if __name__ == "__main__":
    from chat.server import serve

    serve(app)
