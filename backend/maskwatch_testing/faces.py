"""Where the faces are in the fixture photos (skimage's astronaut, matplotlib's Grace Hopper), as (x1, y1, x2, y2),
checked by eye."""

ASTRONAUT_FACE = (180, 60, 270, 175)
GRACE_HOPPER_FACE = (170, 115, 360, 345)
