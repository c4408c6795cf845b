"""Socket.IO handlers, the broadcaster and the clock task."""
