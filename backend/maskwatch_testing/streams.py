"""Camera streams a test serves itself: a video file of a face, and an HTTP MJPEG server on 127.0.0.1
that the test can stop (the stream drops) and start again on the same port (the camera comes back)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np

from .frames import scene


def swaying_frames(head: np.ndarray, frames: int, size=(240, 320)) -> list[np.ndarray]:
    """RGB frames of one head moving a little, as in front of a fixed camera."""
    return [scene([(head, 90 + (i % 5) * 4, 40 + (i % 3) * 3)], size=size) for i in range(frames)]


def write_clip(path: Path, frames: list[np.ndarray], fps: float) -> Path:
    """An MP4 (MPEG-4 part 2) of RGB frames."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


class MjpegServer:
    """multipart/x-mixed-replace JPEG frames at `fps`, looping over `frames`, at http://127.0.0.1:<port>/stream.mjpg.

    Example: with MjpegServer(frames) as cam: ...; cam.stop(); ...; cam.start()   # same port again
    """

    def __init__(self, frames: list[np.ndarray], fps: float = 15.0, port: int = 0):
        self.jpegs = [cv2.imencode(".jpg", cv2.cvtColor(f, cv2.COLOR_RGB2BGR))[1].tobytes() for f in frames]
        self.fps, self.port = fps, port
        self.server: ThreadingHTTPServer | None = None
        self.clients = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    def start(self) -> MjpegServer:
        stream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                stream.clients += 1
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                index = 0
                try:
                    while not getattr(self.server, "stopping", False):
                        jpeg = stream.jpegs[index % len(stream.jpegs)]
                        self.wfile.write(
                            b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg)
                            + jpeg
                            + b"\r\n"
                        )
                        index += 1
                        time.sleep(1 / stream.fps)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Drop every connection and stop listening."""
        if self.server is not None:
            self.server.stopping = True
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
