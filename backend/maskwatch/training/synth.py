"""Synthetic masks on unmasked faces: the MaskTheFace approach driven by MTCNN's five landmarks.

MaskTheFace (github aqeelanwar/MaskTheFace) maps six anchor points of an RGBA mask template onto
six points of a dlib 68-point face outline. MTCNN gives only eyes, nose tip and mouth corners, so
the six points are estimated here from a simple head model (`mask_target_points`): the eye line
gives scale and roll, the nose tip's offset between the eyes gives yaw, the mouth gives the lower
face and a chin is extrapolated below it.

Anchor order everywhere: a, b, c along the mask's top edge (image-left cheek, nose bridge,
image-right cheek), d, e, f along its bottom edge (image-left jaw, chin, image-right jaw).

Placements: "correct" covers nose and mouth; "nose_uncovered" (top edge under the nose) and
"chin" (mask pulled down under the mouth) are the classifier's "incorrect" class.
"""

from __future__ import annotations

import configparser
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

PLACEMENTS = ("correct", "nose_uncovered", "chin")
VIEWS = ("front", "left", "right")

# Head model: a vertical cylinder of radius R seen from the front. Eyes sit at +-EYE_ANGLE around
# it, the nose tip NOSE_PROTRUSION (in R) in front of the eyes, the visible mask edge at
# +-EDGE_ANGLE. With these, a frontal face is ~1.07 eye distances wide either side of the midline.
_EYE_ANGLE = math.asin(0.45)
_NOSE_PROTRUSION = 0.40
_EDGE_ANGLE = math.radians(75)
_MAX_YAW = math.radians(60)
# Nose offset between the eyes (in eye distances) beyond which a side template is used.
_VIEW_THRESHOLD = 0.12
# Chin below the mouth, as a share of the eye-to-mouth distance (face proportions: eye-mouth
# ~1.1 eye distances, mouth-chin ~0.7).
_CHIN_SHARE = 0.62
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}


@dataclass
class MaskTemplate:
    """An RGBA mask picture with its six anchors.

    name: template name from masks.cfg, e.g. "surgical_left".
    view: "front", "left" (face turned so the nose is toward image-left) or "right".
    rgba: (H, W, 4) uint8, RGB + alpha.
    anchors: (6, 2) float32 pixel positions a..f on `rgba`.
    """

    name: str
    view: str
    rgba: np.ndarray
    anchors: np.ndarray

    @property
    def kind(self) -> str:
        """Name without the view suffix, e.g. "surgical_blue"."""
        for suffix in ("_left", "_right"):
            if self.name.endswith(suffix):
                return self.name[: -len(suffix)]
        return self.name


def _view_of(name: str) -> str:
    if name.endswith("_left"):
        return "left"
    if name.endswith("_right"):
        return "right"
    return "front"


def _read_rgb(path: Path) -> np.ndarray | None:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def load_templates(masktheface_dir: str | Path) -> list[MaskTemplate]:
    """Read masks.cfg and the template PNGs it names.

    Args:
        masktheface_dir: folder holding masks.cfg, templates/ and textures/ (MaskTheFace's masks/).

    Sections without a template file or without all six anchors (empty, inpaint) are skipped.
    """
    root = Path(masktheface_dir)
    cfg = configparser.ConfigParser()
    if not cfg.read(root / "masks.cfg"):
        raise FileNotFoundError(root / "masks.cfg")
    templates = []
    for name in cfg.sections():
        section = cfg[name]
        keys = [f"mask_{k}" for k in "abcdef"]
        if "template" not in section or not all(k in section for k in keys):
            continue
        rel = Path(section["template"].strip())
        # masks.cfg paths are relative to MaskTheFace's repo root: "masks/templates/x.png"
        if rel.parts and rel.parts[0] == "masks":
            rel = Path(*rel.parts[1:])
        image = cv2.imread(str(root / rel), cv2.IMREAD_UNCHANGED)
        if image is None or image.ndim != 3 or image.shape[2] != 4:
            continue
        anchors = np.array([[float(v) for v in section[k].split(",")] for k in keys], np.float32)
        rgba = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
        templates.append(MaskTemplate(name, _view_of(name), rgba, anchors))
    return templates


def load_textures(masktheface_dir: str | Path) -> list[np.ndarray]:
    """All pictures under <masktheface_dir>/textures/ as RGB uint8 arrays, in path order."""
    paths = sorted(p for p in (Path(masktheface_dir) / "textures").rglob("*") if p.suffix.lower() in _IMAGE_SUFFIXES)
    textures = [_read_rgb(p) for p in paths]
    return [t for t in textures if t is not None]


def _face_frame(landmarks: np.ndarray):
    """Eye midpoint, eye distance, unit eye-line vector u and its downward normal v."""
    lm = np.asarray(landmarks, dtype=np.float64).reshape(5, 2)
    left_eye, right_eye = lm[0], lm[1]
    eye_mid = (left_eye + right_eye) / 2
    delta = right_eye - left_eye
    dist = float(np.hypot(*delta))
    if dist < 1e-6:
        raise ValueError("eyes coincide; landmarks unusable")
    u = delta / dist
    v = np.array([-u[1], u[0]])  # u rotated +90 degrees: "down the face" in image coordinates
    return lm, eye_mid, dist, u, v


def nose_offset(landmarks: np.ndarray) -> float:
    """Where the nose tip sits between the eyes along the eye line, in eye distances.

    0 for a frontal face, negative when the nose is toward the image-left eye (face turned to
    image-left), positive toward the image-right eye.
    """
    lm, eye_mid, dist, u, _ = _face_frame(landmarks)
    return float((lm[2] - eye_mid) @ u / dist)


def choose_view(landmarks: np.ndarray) -> str:
    """ "front", "left" or "right": the template view whose nose side matches the face's yaw.

    The "_left" MaskTheFace templates have the nose bridge toward image-left, so they fit faces
    whose nose tip is toward the image-left eye.
    """
    offset = nose_offset(landmarks)
    if offset < -_VIEW_THRESHOLD:
        return "left"
    if offset > _VIEW_THRESHOLD:
        return "right"
    return "front"


def _yaw_edges(offset: float) -> tuple[float, float, float]:
    """Yaw angle and the face's left/right edges relative to the eye midpoint, in eye distances.

    Head as a cylinder: the nose tip moves sideways by p sin(yaw) relative to the eye midpoint
    while the eyes' distance shrinks by cos(yaw); the mask's edges stay at fixed angles on the
    cylinder, clipped to its silhouette.
    """
    ca, sa = math.cos(_EYE_ANGLE), math.sin(_EYE_ANGLE)
    # offset = p sin(yaw) / (2 sin(a) cos(yaw))  ->  solve for yaw
    yaw = math.atan(offset * 2 * sa / _NOSE_PROTRUSION)
    yaw = max(-_MAX_YAW, min(_MAX_YAW, yaw))
    eye_units = 2 * sa * math.cos(yaw)  # observed eye distance, in cylinder radii
    eye_mid = math.sin(yaw) * ca
    # beyond +-90 degrees the edge is behind the head: the silhouette bounds what is seen
    left = math.sin(max(-math.pi / 2, yaw - _EDGE_ANGLE))
    right = math.sin(min(math.pi / 2, yaw + _EDGE_ANGLE))
    return yaw, (left - eye_mid) / eye_units, (right - eye_mid) / eye_units


# Per placement, in face coordinates. "top": where the top edge (b) sits - for "correct" a share
# of the eye->nose-tip distance, for "nose_uncovered" of the nose-tip->mouth distance, for "chin"
# of the mouth->chin distance. "bottom": the chin point e in mouth->chin shares (1 = the chin;
# a mask on the chin hangs below it). "jaw_at": height of d/f between the mouth (top, for
# "chin") and e. "top_width"/"jaw_width": a/c and d/f widths as shares of the face width.
_PLACEMENT_GEOMETRY = {
    "correct": dict(top=("eye_nose", 0.35), bottom=1.05, top_width=1.0, jaw_width=0.86, jaw_at=0.45),
    "nose_uncovered": dict(top=("nose_mouth", 0.45), bottom=1.12, top_width=0.96, jaw_width=0.84, jaw_at=0.55),
    "chin": dict(top=("mouth_chin", 0.42), bottom=1.75, top_width=0.80, jaw_width=0.62, jaw_at=0.75),
}


def mask_target_points(landmarks: np.ndarray, placement: str = "correct") -> np.ndarray:
    """Where the template anchors a..f should land on the face.

    Args:
        landmarks: (5, 2) MTCNN landmarks in pixels: left eye, right eye, nose tip, left mouth
            corner, right mouth corner.
        placement: one of PLACEMENTS, default "correct".

    Returns (6, 2) float32 pixel positions: a, b, c (top edge: image-left cheek, nose bridge,
    image-right cheek) and d, e, f (bottom edge: image-left jaw, chin, image-right jaw). Points
    may fall outside the image for faces at its border.
    """
    if placement not in _PLACEMENT_GEOMETRY:
        raise ValueError(f"unknown placement {placement!r}; expected one of {PLACEMENTS}")
    geo = _PLACEMENT_GEOMETRY[placement]
    lm, eye_mid, dist, u, v = _face_frame(landmarks)

    def face_coords(p):
        d = p - eye_mid
        return np.array([d @ u, d @ v]) / dist

    nose = face_coords(lm[2])
    mouth = face_coords((lm[3] + lm[4]) / 2)
    # Guard against degenerate landmark sets (e.g. mouth above the nose on a wild detection).
    nose_t = max(nose[1], 0.3)
    mouth_t = max(mouth[1], nose_t + 0.2)
    chin_t = mouth_t + _CHIN_SHARE * mouth_t
    _, left_edge, right_edge = _yaw_edges(nose[0])
    mid_s = (left_edge + right_edge) / 2

    top_ref, share = geo["top"]
    if top_ref == "eye_nose":
        top_t = share * nose_t
        # the bridge protrudes about half as far as the tip, so it moves half as much with yaw
        top_s = 0.55 * nose[0]
    elif top_ref == "nose_mouth":
        top_t = nose_t + share * (mouth_t - nose_t)
        top_s = nose[0] + share * (mouth[0] - nose[0])
    else:
        top_t = mouth_t + share * (chin_t - mouth_t)
        top_s = mouth[0]
    chin_s = mouth[0]
    bottom_t = mouth_t + geo["bottom"] * (chin_t - mouth_t)
    jaw_t = mouth_t + geo["jaw_at"] * (bottom_t - mouth_t)
    if top_ref == "mouth_chin":
        jaw_t = top_t + geo["jaw_at"] * (bottom_t - top_t)

    def width_at(factor):
        # narrow the outline toward its middle, which shifts with yaw
        return mid_s + (left_edge - mid_s) * factor, mid_s + (right_edge - mid_s) * factor

    top_l, top_r = width_at(geo["top_width"])
    jaw_l, jaw_r = width_at(geo["jaw_width"])
    face = np.array(
        [
            [top_l, top_t],
            [top_s, top_t],
            [top_r, top_t],
            [jaw_l, jaw_t],
            [chin_s, bottom_t],
            [jaw_r, jaw_t],
        ]
    )
    # b must stay between a and c even for extreme yaw estimates
    face[1, 0] = np.clip(face[1, 0], face[0, 0] + 0.05, face[2, 0] - 0.05)
    face[4, 0] = np.clip(face[4, 0], face[3, 0] + 0.05, face[5, 0] - 0.05)
    points = eye_mid + dist * (face[:, :1] * u + face[:, 1:] * v)
    return points.astype(np.float32)


def _outline(points: np.ndarray) -> np.ndarray:
    """The six target points as a closed polygon a, b, c, f, e, d."""
    return np.asarray(points, np.float32)[[0, 1, 2, 5, 4, 3]]


def _smooth_outline(points: np.ndarray, rounds: int = 3) -> np.ndarray:
    """The outline with its corners rounded (Chaikin corner cutting), closer to a real mask's shape."""
    poly = _outline(points).astype(np.float64)
    for _ in range(rounds):
        nxt = np.roll(poly, -1, axis=0)
        q = 0.75 * poly + 0.25 * nxt
        r = 0.25 * poly + 0.75 * nxt
        poly = np.stack([q, r], axis=1).reshape(-1, 2)
    return poly


def _luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def _light_level(image_rgb: np.ndarray, points: np.ndarray) -> float:
    """Brightness of the skin the mask will cover: 90th percentile luminance inside the outline."""
    h, w = image_rgb.shape[:2]
    region = np.zeros((h, w), np.uint8)
    cv2.fillPoly(region, [np.round(_outline(points)).astype(np.int32)], 1)
    values = _luminance(image_rgb[region.astype(bool)].astype(np.float32))
    if values.size < 10:
        return 170.0
    return float(np.percentile(values, 90))


def _shading(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Template luminance scaled so its bright parts are ~1: keeps folds and edges under a new colour."""
    lum = _luminance(rgb.astype(np.float32))
    inside = lum[alpha > 128]
    ref = float(np.percentile(inside, 90)) if inside.size else 255.0
    return np.clip(lum / max(ref, 1.0), 0.35, 1.1)


def _tile(texture: np.ndarray, height: int, width: int, period: int) -> np.ndarray:
    """`texture` resized to `period` pixels wide and repeated over height x width."""
    th, tw = texture.shape[:2]
    scale = period / max(tw, 1)
    small = cv2.resize(texture, (max(1, round(tw * scale)), max(1, round(th * scale))), interpolation=cv2.INTER_AREA)
    reps = (height // small.shape[0] + 1, width // small.shape[1] + 1, 1)
    return np.tile(small, reps)[:height, :width]


def _restyle(rgba: np.ndarray, texture: np.ndarray | None, colour) -> np.ndarray:
    """Template RGB with a texture multiplied in, or recoloured, keeping the template's shading."""
    rgb = rgba[..., :3].astype(np.float32)
    if texture is None and colour is None:
        return rgb
    shade = _shading(rgb, rgba[..., 3])[..., None]
    if texture is not None:
        base = _tile(texture[..., :3], rgb.shape[0], rgb.shape[1], period=max(8, rgb.shape[1] // 3)).astype(np.float32)
    else:
        base = np.broadcast_to(np.asarray(colour, np.float32).reshape(1, 1, 3), rgb.shape)
    return base * shade


def put_mask(
    image_rgb: np.ndarray,
    landmarks: np.ndarray,
    template: MaskTemplate,
    placement: str = "correct",
    rng: np.random.Generator | None = None,
    texture: np.ndarray | None = None,
    colour: tuple[int, int, int] | None = None,
) -> np.ndarray:
    """Warp a mask template onto a face and blend it in.

    Args:
        image_rgb: (H, W, 3) uint8 RGB picture; never modified.
        landmarks: (5, 2) MTCNN landmarks of the face, in pixels of `image_rgb`.
        template: MaskTemplate, ideally of the view `choose_view(landmarks)` gives.
        placement: one of PLACEMENTS, default "correct".
        rng: numpy Generator for a slight random brightness change; None: no randomness.
        texture: RGB picture tiled over the mask (multiplied with its shading), default None.
        colour: RGB to recolour the mask with (ignored when a texture is given), default None.

    Returns a new (H, W, 3) uint8 RGB array.
    """
    image = np.asarray(image_rgb)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError("image_rgb must be (H, W, 3)")
    out = image.astype(np.float32)  # a copy: the input stays untouched
    target = mask_target_points(landmarks, placement)
    rgba = template.rgba
    anchors = np.asarray(template.anchors, np.float32)

    # Shrink big templates close to their size on the face first: warping a 600 px template
    # straight down to a 40 px face aliases (pleats turn into moire).
    src_w = float(np.ptp(anchors[:, 0]))
    dst_w = float(np.ptp(target[:, 0]))
    scale = min(1.0, 1.5 * dst_w / max(src_w, 1.0))
    if scale < 0.95:
        size = (max(2, round(rgba.shape[1] * scale)), max(2, round(rgba.shape[0] * scale)))
        rgba = cv2.resize(rgba, size, interpolation=cv2.INTER_AREA)
        anchors = anchors * np.array([size[0] / template.rgba.shape[1], size[1] / template.rgba.shape[0]], np.float32)

    rgb = _restyle(rgba, texture, colour)
    alpha = rgba[..., 3].astype(np.float32) / 255.0

    homography, _ = cv2.findHomography(anchors, target, 0)
    if homography is None:
        raise ValueError("no homography from the template anchors to the face")

    # Warp only into the box the template lands in.
    h, w = image.shape[:2]
    th, tw = rgba.shape[:2]
    corners = np.array([[0, 0], [tw, 0], [tw, th], [0, th]], np.float32).reshape(-1, 1, 2)
    landed = cv2.perspectiveTransform(corners, homography).reshape(-1, 2)
    x1, y1 = np.floor(landed.min(axis=0)).astype(int)
    x2, y2 = np.ceil(landed.max(axis=0)).astype(int)
    x1, y1, x2, y2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
    if x2 <= x1 or y2 <= y1:
        return out.astype(np.uint8)
    shift = np.array([[1, 0, -x1], [0, 1, -y1], [0, 0, 1]], np.float64)
    roi_h = shift @ homography
    size = (x2 - x1, y2 - y1)
    # premultiplied alpha, so the template's transparent pixels do not bleed into the edge
    premult = cv2.warpPerspective(rgb * alpha[..., None], roi_h, size, flags=cv2.INTER_LINEAR, borderValue=0)
    cover = cv2.warpPerspective(alpha, roi_h, size, flags=cv2.INTER_LINEAR, borderValue=0)[..., None]

    # Match the scene's light: a white mask in a dim photo must not glow.
    gain = float(np.clip(_light_level(image, target) / 200.0, 0.45, 1.05)) ** 0.7
    if rng is not None:
        gain *= float(rng.uniform(0.88, 1.08))
    roi = out[y1:y2, x1:x2]
    out[y1:y2, x1:x2] = roi * (1.0 - cover) + premult * gain
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def draw_plain_mask(
    image_rgb: np.ndarray,
    landmarks: np.ndarray,
    placement: str = "correct",
    colour: tuple[int, int, int] = (160, 200, 230),
) -> np.ndarray:
    """Draw a plain mask: the smoothed outline of the target points, filled, with a few pleats.

    Needs no template files (used by tests). Args as in put_mask; colour: RGB, default light blue.
    Returns a new (H, W, 3) uint8 RGB array.
    """
    points = mask_target_points(landmarks, placement)
    out = np.array(image_rgb, dtype=np.uint8, copy=True)
    shift = 4  # sub-pixel precision for fillPoly
    poly = np.round(_smooth_outline(points) * (1 << shift)).astype(np.int32)
    cv2.fillPoly(out, [poly], tuple(int(c) for c in colour), lineType=cv2.LINE_AA, shift=shift)
    # pleats: lines from the left edge (a..d) to the right edge (c..f), slightly darker
    dark = tuple(int(c * 0.8) for c in colour)
    thickness = max(1, round(float(np.linalg.norm(points[2] - points[0])) / 80))
    for share in (0.3, 0.5, 0.7):
        left = points[0] + share * (points[3] - points[0])
        right = points[2] + share * (points[5] - points[2])
        left, right = left + 0.08 * (right - left), right - 0.08 * (right - left)
        cv2.line(
            out,
            tuple(np.round(left * (1 << shift)).astype(int)),
            tuple(np.round(right * (1 << shift)).astype(int)),
            dark,
            thickness,
            cv2.LINE_AA,
            shift,
        )
    return out


def _usable_landmarks(landmarks, shape) -> bool:
    """Landmarks worth masking: all inside the picture, eyes apart, nose below the eyes and above
    the mouth. MTCNN guesses points outside tight crops, and a mask placed from them lands off
    the face - a wrong training label."""
    lm = np.asarray(landmarks, np.float64).reshape(5, 2)
    h, w = shape[:2]
    if not ((lm >= 0).all() and (lm[:, 0] < w).all() and (lm[:, 1] < h).all()):
        return False
    _, eye_mid, dist, u, v = _face_frame(lm)
    if dist < 4:
        return False
    nose_t = (lm[2] - eye_mid) @ v / dist
    mouth_t = ((lm[3] + lm[4]) / 2 - eye_mid) @ v / dist
    return 0.15 < nose_t < mouth_t and mouth_t < 2.0 and abs(nose_offset(lm)) < 0.6


def _visible_share(points: np.ndarray, shape) -> float:
    """Share of the mask outline's area that lies inside the picture."""
    hull = cv2.convexHull(np.asarray(points, np.float32))
    area = cv2.contourArea(hull)
    if area <= 0:
        return 0.0
    h, w = shape[:2]
    frame = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    inside, _ = cv2.intersectConvexConvex(hull, frame)
    return float(inside) / area


def _largest_face(faces):
    with_landmarks = [f for f in faces if getattr(f, "landmarks", None) is not None]
    if not with_landmarks:
        return None
    return max(with_landmarks, key=lambda f: (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))


# Which templates may be textured or recoloured: fabric ones. A floral N95 or gas mask is not a thing.
_FABRIC = ("surgical", "cloth")
# A half-face respirator is not worn under the nose or on the chin.
_CORRECT_ONLY = ("gas",)


def _pick_template(templates: list[MaskTemplate], view: str, placement: str, rng: np.random.Generator) -> MaskTemplate:
    pool = [t for t in templates if t.view == view] or list(templates)
    if placement != "correct":
        pool = [t for t in pool if not t.kind.startswith(_CORRECT_ONLY)] or pool
    return pool[int(rng.integers(len(pool)))]


def synthesize_files(
    paths,
    out_dir,
    detector,
    templates: list[MaskTemplate],
    textures: list[np.ndarray],
    placements=PLACEMENTS,
    per_image: int = 1,
    seed: int = 0,
    texture_share: float = 0.3,
    colour_share: float = 0.15,
    min_visible: float = 0.8,
) -> list[dict]:
    """Put masks on the largest face of each picture and write the results as JPEGs.

    Args:
        paths: image files (unmasked faces).
        out_dir: output root; files go to out_dir/<placement>/<stem>_<k>.jpg.
        detector: anything with detect(rgb) -> list of Face (box, landmarks), e.g. MtcnnFaceDetector.
        templates: from load_templates; one of the face's view is drawn at random.
        textures: from load_textures (may be empty); used on fabric masks `texture_share` of the time.
        placements: placements to draw from, default PLACEMENTS.
        per_image: masked versions written per picture, default 1.
        seed: random seed, default 0; the same inputs and seed give the same outputs.
        texture_share: chance a fabric mask gets a texture, default 0.3.
        colour_share: chance an untextured fabric mask gets a random colour, default 0.15.
        min_visible: least share of a placement's mask outline inside the picture for that
            placement to be drawn, default 0.8 (so tight crops get fewer "chin" masks).

    Pictures that cannot be read, have no face with landmarks, or whose landmarks fall outside the
    picture or are implausible (see _usable_landmarks) are skipped, as are those where no
    placement's mask fits in the picture. Returns one manifest
    row per output: {"source", "output", "placement", "template", "box": [x1, y1, x2, y2]}.
    """
    if not templates:
        raise ValueError("no mask templates")
    rng = np.random.default_rng(seed)
    out_root = Path(out_dir)
    rows = []
    for path in paths:
        path = Path(path)
        rgb = _read_rgb(path)
        if rgb is None:
            continue
        face = _largest_face(detector.detect(rgb))
        if face is None or not _usable_landmarks(face.landmarks, rgb.shape):
            continue
        view = choose_view(face.landmarks)
        # On tight crops the chin is often out of the picture; a "chin" mask there would be
        # invisible yet labelled incorrect. Only placements whose mask is mostly in view are drawn.
        fitting = [
            p for p in placements if _visible_share(mask_target_points(face.landmarks, p), rgb.shape) >= min_visible
        ]
        if not fitting:
            continue
        for k in range(per_image):
            placement = fitting[int(rng.integers(len(fitting)))]
            template = _pick_template(templates, view, placement, rng)
            texture = colour = None
            if template.kind.startswith(_FABRIC):
                roll = rng.random()
                if textures and roll < texture_share:
                    texture = textures[int(rng.integers(len(textures)))]
                elif roll < texture_share + colour_share:
                    colour = tuple(int(c) for c in rng.integers(20, 240, size=3))
            masked = put_mask(rgb, face.landmarks, template, placement, rng=rng, texture=texture, colour=colour)
            target = out_root / placement / f"{path.stem}_{k}.jpg"
            target.parent.mkdir(parents=True, exist_ok=True)
            if not cv2.imwrite(str(target), cv2.cvtColor(masked, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95]):
                raise OSError(f"cannot write {target}")
            rows.append(
                {
                    "source": str(path),
                    "output": str(target),
                    "placement": placement,
                    "template": template.name,
                    "box": [round(float(v), 1) for v in face.box],
                }
            )
    return rows
