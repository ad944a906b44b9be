"""MaskWatch: face-mask compliance monitor.

Layers, each a package that imports only those below it: detection/ (faces and verdicts), tracking
and monitor (people, alerts: the stream pipeline), media/ (decoding), store/ (database and spool),
jobs/ (video jobs, camera workers), web/ (Flask, Socket.IO, the API); runtime assembles a process.
"""

__version__ = "0.1.0"
