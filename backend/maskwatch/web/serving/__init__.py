"""`maskwatch serve` on gunicorn: one gthread worker process (Socket.IO keeps its clients in that process),
client sockets with read timeouts and TCP_NODELAY, and a guard that bounds the requests of one client address.

- server.py: the gunicorn application (builds the Flask app in the worker, after the fork) and its options
- worker.py: gunicorn's gthread worker with the socket options set on every accepted connection
- sockets.py: those options (TCP_NODELAY, SO_RCVTIMEO/SO_SNDTIMEO)
- client_guard.py: WSGI middleware: in-flight requests per address, 408 for a body that stops coming
"""
