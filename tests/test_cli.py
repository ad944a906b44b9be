"""`maskwatch detect` end to end: JSON format, annotated output, bad files."""

import json

import pytest

from maskwatch.cli import main

from .conftest import encode


@pytest.fixture
def run_cli(capsys):
    def run(*argv):
        code = main(["detect", *map(str, argv)])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_json_output_follows_the_documented_format(run_cli, image_file, astronaut):
    path = image_file("astronaut.png", astronaut)
    code, out, err = run_cli(path, "--json")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert set(result) == {"image", "width", "height", "faces", "ms"}
    assert (result["image"], result["width"], result["height"]) == (str(path), 512, 512)
    assert result["ms"] > 0
    for face in result["faces"]:
        assert set(face) == {"box", "label", "score", "face_score"}
        assert face["label"] in ("mask", "no_mask", "incorrect", "unknown")
        assert 0 <= face["score"] <= 1 and 0 <= face["face_score"] <= 1
    # her face is there and bare (our detector also takes the round mission patch on her suit for one)
    (face,) = [
        f for f in result["faces"] if 150 < f["box"][0] < f["box"][2] < 300 and 40 < f["box"][1] < f["box"][3] < 200
    ]
    assert face["label"] == "no_mask"


def test_bad_files_fail_alone_and_are_named(run_cli, tmp_path, image_file, astronaut, grace_hopper):
    good = [image_file("a.jpg", astronaut), image_file("b.webp", grace_hopper)]
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(encode(astronaut)[:5000])
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    missing = tmp_path / "missing.jpg"
    code, out, err = run_cli(good[0], truncated, text, empty, missing, good[1], "--json")
    assert code == 1
    assert [json.loads(line)["image"] for line in out.strip().splitlines()] == [str(p) for p in good]
    errors = err.strip().splitlines()
    assert len(errors) == 4
    for path, words in [(truncated, "damaged"), (text, "not a JPEG"), (empty, "empty"), (missing, "no such file")]:
        assert any(str(path) in line and words in line for line in errors), (path, errors)


def test_huge_file_is_refused(run_cli, image_file, astronaut):
    path = image_file("big.png", astronaut)
    code, out, err = run_cli(path, "--max-mb", "0")
    assert code == 1 and out == ""
    assert str(path) in err and "limit" in err


def test_out_writes_annotated_copies(run_cli, tmp_path, image_file, astronaut):
    import cv2

    out_dir = tmp_path / "annotated"
    code, out, err = run_cli(image_file("astronaut.jpg", astronaut), "--out", out_dir)
    assert code == 0 and "no_mask" in out
    written = cv2.imread(str(out_dir / "astronaut_annotated.jpg"))
    assert written is not None and written.shape == astronaut.shape


def test_video_gives_one_line_per_processed_frame(run_cli, tmp_path, astronaut):
    import cv2

    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (512, 512))
    for _ in range(6):
        writer.write(cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    writer.release()
    code, out, err = run_cli(path, "--json", "--every", "2", "--out", tmp_path / "out")
    assert code == 0, err
    frames = [json.loads(line) for line in out.strip().splitlines()]
    assert [f["frame"] for f in frames] == [0, 2, 4]
    on_her_face = [
        [g for g in f["faces"] if 150 < g["box"][0] < g["box"][2] < 300 and 40 < g["box"][1] < g["box"][3] < 200]
        for f in frames
    ]
    assert all(len(found) == 1 for found in on_her_face)
    assert (tmp_path / "out" / "clip_annotated.mp4").stat().st_size > 0
