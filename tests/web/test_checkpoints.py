"""People still in view are checkpointed to the spool (monitor.StreamSession with checkpoint_every_s): a process
that dies with people in view has them counted once by the next one, as of its last checkpoint; people who end
normally are counted once, also when a recovery wrote their checkpoint meanwhile; nothing is left behind.
The spool file alone first, then through the app's recorder on SQLite and MariaDB. (Real servers killed with
SIGKILL: test_checkpoint_restart.py.)"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from maskwatch.detection import Detection, Face
from maskwatch.monitor import KeptPeople, StreamSession
from maskwatch.store import Sighting
from maskwatch.store.database import db
from maskwatch.store.recording import SightingRecorder
from maskwatch.store.spool import SPOOL_FILE, SightingSpool, SourceRef, SpooledSighting
from maskwatch.tracking import FaceTracker, PersonSighting
from maskwatch.web.server import prepare_database
from maskwatch.web.services import services_of

START = datetime(2026, 5, 1, 9, 0, 0)
DOOR = SourceRef(kind="webcam", name="door")


def person(frames: int, track_id: int = 1) -> PersonSighting:
    return PersonSighting(track_id, START, START + timedelta(seconds=frames / 10), "no_mask", 0.9, frames)


def face(x: int = 100) -> Detection:
    probs = {"mask": 0.03, "no_mask": 0.95, "incorrect": 0.02}
    return Detection(Face((x, 80, x + 60, 150), 0.99), "no_mask", 0.95, probs)


class Door:
    """A stream at a door with its own clock, 10 frames a second, checkpointing every `every` seconds."""

    def __init__(self, recorder, every: float = 1.0):
        self.t = 0.0
        self.session = StreamSession(
            None, FaceTracker(max_missed=3), DOOR, recorder=recorder, clock=lambda: self.t, checkpoint_every_s=every
        )

    def frames(self, n: int, faces: tuple[int, ...] = (100,)) -> None:
        for _ in range(n):
            self.session.track([face(x) for x in faces], START + timedelta(seconds=self.t))
            self.t = round(self.t + 0.1, 1)

    def at(self, t: float) -> datetime:
        return START + timedelta(seconds=t)


# --- the spool file alone -------------------------------------------------------------------------


def test_a_checkpoint_replaces_the_last_and_an_ended_person_takes_theirs_along(tmp_path):
    spool = SightingSpool(tmp_path / SPOOL_FILE)

    def rows(session: str, *frames_by_track: tuple[int, int]) -> list[SpooledSighting]:
        return [
            SpooledSighting.of(DOOR, person(frames, track), f"{session}-{track}") for track, frames in frames_by_track
        ]

    spool.checkpoint("s1", rows("s1", (1, 5), (2, 5)), stale_s=15)
    spool.checkpoint("s2", rows("s2", (1, 3)), stale_s=15)
    spool.checkpoint("s1", rows("s1", (2, 9), (3, 2)), stale_s=15)
    assert {(row.spool_key, row.frames_seen) for row in spool.open_tracks()} == {("s1-2", 9), ("s1-3", 2), ("s2-1", 3)}
    spool.put([SpooledSighting.of(DOOR, person(12, 2), "s1-2")], ending=["s1-2"])  # ended while the database was away
    assert [row.spool_key for row in spool.oldest()] == ["s1-2"]
    spool.end_session("s1")
    assert [row.spool_key for row in spool.open_tracks()] == ["s2-1"]
    assert spool.promote_orphans() == 0  # its own open tracks are never a dead owner's


def test_a_key_spooled_twice_keeps_the_snapshot_that_saw_more_frames(tmp_path):
    spool = SightingSpool(tmp_path / SPOOL_FILE)
    for frames in (5, 3, 9, 7):
        spool.put([SpooledSighting.of(DOOR, person(frames), "k-1")])
    (row,) = spool.oldest()
    assert (len(spool), row.frames_seen, row.ended_at) == (1, 9, START + timedelta(seconds=0.9))


CHECKPOINTING_CHILD = """
    import os, sys
    from datetime import datetime
    from types import SimpleNamespace
    from maskwatch.store.spool import SightingSpool, SourceRef, SpooledSighting
    spool = SightingSpool({path!r})
    person = SimpleNamespace(seen_at=datetime(2026, 5, 1, 9), ended_at=datetime(2026, 5, 1, 9, 0, 4),
                             verdict="mask", confidence=0.9, frames_seen=40)
    door = SourceRef(kind="webcam", name="door")
    spool.checkpoint({session!r}, [SpooledSighting.of(door, person, {session!r} + "-1")], stale_s=15)
    print("checkpointed", flush=True)
    if {die!r}:
        os._exit(9)  # no close: what SIGKILL leaves
    sys.stdin.read()  # alive until the test lets go
"""


def checkpointing_child(path, session: str, die: bool) -> subprocess.Popen:
    code = textwrap.dedent(CHECKPOINTING_CHILD.format(path=str(path), session=session, die=die))
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "checkpointed"
    return child


def test_the_open_tracks_of_a_killed_process_are_promoted_once_and_a_live_ones_wait(tmp_path):
    path = tmp_path / SPOOL_FILE
    killed, alive = checkpointing_child(path, "dead", die=True), checkpointing_child(path, "live", die=False)
    try:
        assert killed.wait(30) == 9
        spool = SightingSpool(path)
        spool.checkpoint("mine", [SpooledSighting.of(DOOR, person(4), "mine-1")], stale_s=15)
        assert spool.promote_orphans() == 1 and spool.promote_orphans() == 0
        (promoted,) = spool.oldest()
        assert (promoted.spool_key, promoted.frames_seen, promoted.ended_at) == (
            "dead-1",
            40,
            datetime(2026, 5, 1, 9, 0, 4),
        )
        assert sorted(row.spool_key for row in spool.open_tracks()) == ["live-1", "mine-1"]
        # a live owner that checkpointed nothing for the rows' stale_s is taken for gone (it hangs, or its pid
        # belongs to somebody else now)
        later = SightingSpool(path, clock=lambda: time.time() + 60)
        assert later.promote_orphans() == 2 and [row.spool_key for row in later.open_tracks()] == []
        assert sorted(row.spool_key for row in spool.oldest()) == ["dead-1", "live-1", "mine-1"]
    finally:
        alive.communicate("")


# --- through the app's recorder (SQLite and MariaDB) ---------------------------------------------


def sightings() -> list[tuple]:
    db.session.rollback()  # a fresh read: another recorder may have written since
    query = sa.select(Sighting.seen_at, Sighting.ended_at, Sighting.frames_seen, Sighting.spool_key)
    return [tuple(row) for row in db.session.execute(query.order_by(Sighting.seen_at, Sighting.id))]


def test_a_person_in_view_of_a_process_that_dies_is_counted_once_by_the_next_as_of_the_last_checkpoint(make_app):
    first = make_app()
    with first.app_context():
        door = Door(services_of().recorder)
        door.frames(25)  # checkpoints at 1.0 s and 2.0 s, then 0.4 s more that no checkpoint saw
        assert door.session.checkpoints == 2 and sightings() == []
    services_of(first).recorder.close()  # the process dies: no close(), no disconnect handler; the spool file stays

    second = make_app()  # the next process on the same instance folder
    prepare_database(second)  # what `maskwatch serve` does first
    with second.app_context():
        assert sightings() == [(START, door.at(2.0), 21, f"{door.session.key}-1")]
        recorder = services_of().recorder
        assert recorder.spool.open_tracks() == [] and len(recorder.spool) == 0
        assert recorder.flush() == 0 and len(sightings()) == 1
        assert not recorder.flusher.running()  # nothing waits, nobody else has people in view


@pytest.mark.parametrize("promoted_meanwhile", [False, True], ids=["owner-alone", "promoted-meanwhile"])
def test_a_person_who_leaves_after_checkpoints_is_counted_once_with_their_whole_visit(
    make_app, tmp_path, promoted_meanwhile
):
    app = make_app()
    with app.app_context():
        recorder = services_of().recorder
        door = Door(recorder)
        door.frames(15)
        if promoted_meanwhile:  # another process took this one for gone (stalled past stale_s) and wrote it
            other = SightingRecorder(
                app.instance_path, app.config, app.app_context, SightingSpool(tmp_path / "instance" / SPOOL_FILE)
            )
            assert other.flush() == 1
            assert sightings() == [(START, door.at(1.0), 11, f"{door.session.key}-1")]
        door.frames(10)  # checkpointed again at 2.0 s
        assert [row.frames_seen for row in recorder.spool.open_tracks()] == [21]
        door.frames(4, faces=())  # gone: the track ends after max_missed (3) empty frames
        assert sightings() == [(START, door.at(2.4), 25, f"{door.session.key}-1")]
        assert recorder.spool.open_tracks() == [] and len(recorder.spool) == 0
        assert door.session.close() == [] and len(sightings()) == 1
        if promoted_meanwhile:
            assert other.flush() == 0 and len(sightings()) == 1
            other.close()
        assert (door.session.written, door.session.waiting) == (1, 0)


def test_closing_a_stream_records_its_people_in_view_once_and_leaves_no_checkpoint(make_app):
    app = make_app()
    with app.app_context():
        recorder = services_of().recorder
        door = Door(recorder)
        door.frames(15)  # one person, checkpointed at 1.0 s
        door.frames(3, faces=(100, 400))  # a second one, after the checkpoint
        assert [row.frames_seen for row in recorder.spool.open_tracks()] == [11]
        assert len(door.session.close()) == 2
        assert sightings() == [
            (START, door.at(1.7), 18, f"{door.session.key}-1"),
            (door.at(1.5), door.at(1.7), 3, None),
        ]  # never checkpointed: no key
        assert recorder.spool.open_tracks() == []
        door.frames(25)  # a camera that reconnects: the same session goes on, with new track ids
        assert [row.spool_key for row in recorder.spool.open_tracks()] == [f"{door.session.key}-3"]
        door.session.close()
        assert len(sightings()) == 3 and recorder.spool.open_tracks() == []


def test_without_an_interval_nothing_is_checkpointed_and_a_recorder_that_cannot_keep_them_is_refused(make_app):
    app = make_app()
    with app.app_context():
        recorder = services_of().recorder
        door = Door(recorder, every=0)
        door.frames(40)
        assert door.session.checkpoints == 0 and recorder.spool.open_tracks() == []
        assert len(door.session.close()) == 1
        assert [key for *_, key in sightings()] == [None]
    with pytest.raises(ValueError, match="checkpoint"):
        StreamSession(None, FaceTracker(), recorder=KeptPeople(), checkpoint_every_s=5)
