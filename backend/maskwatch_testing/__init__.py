"""Real servers and media for MaskWatch's tests and benchmarks, not part of the product: `maskwatch serve`,
MariaDB, Redis and Celery workers started as processes (served, mariadb, workers), an MJPEG camera (streams), the
load generator (loadgen), frames and clips of the fixture faces (faces, frames, clips) and the fuzzing seeds and
strategies (fuzzing). It sits beside `maskwatch`, never inside it, so that tests/ and benchmarks/ import it from the
installed environment instead of putting the checkout on sys.path; nothing in `maskwatch` imports it. Needs the
`test` extra (pytest, hypothesis, python-socketio's client)."""
