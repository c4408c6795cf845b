"""The yardstick: a bare Flask-SocketIO broadcast server, served like the app (gunicorn's
gevent worker, compression not negotiated), with no persistence, checks or logging.

bench/run.py starts it as `gunicorn ... bare_server:app` from this folder.
"""

import itertools

from flask import Flask
from flask_socketio import SocketIO, join_room

from chat.wsgi import without_websocket_compression

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent", max_http_buffer_size=64 * 1024)
app.wsgi_app = without_websocket_compression(app.wsgi_app)  # type: ignore[method-assign]
ids = itertools.count(1)


@socketio.on("join")
def join(data: dict) -> dict:
    join_room(str(data["session_id"]))
    return {"ok": True, "messages": []}


@socketio.on("send_message")
def send_message(data: dict) -> dict:
    message = {"id": next(ids), "body": data["body"]}
    socketio.emit("message", message, to=str(data["session_id"]))
    return {"ok": True, "message": message}
