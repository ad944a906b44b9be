"""Where MaskWatch finds its migrations, trained weights, web front end and instance folder, and where
training data and outputs live by default.

Two layouts, told apart by where this file lies:
- a repository checkout (editable install, or PYTHONPATH=backend): everything at the checkout's root
  (migrations/, models/, frontend/dist, instance/), as before;
- an installed wheel: migrations, weights and the front end are package data in maskwatch/_data (setup.py
  copies them in when the wheel is built), and the instance folder is instance/ in the working directory,
  as site-packages is no place for a database.
Each location can still be set: MASKWATCH_MODELS, MODEL_PATH, FACE_DETECTOR_PATH, FRONTEND_DIST,
MASKWATCH_INSTANCE, MASKWATCH_DATA.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _checkout_root() -> Path | None:
    root = _PACKAGE.parents[1]  # backend/maskwatch -> the repository
    return root if (root / "pyproject.toml").is_file() and (root / "migrations").is_dir() else None


#: The repository checkout this package runs from, or None when it runs from an installed wheel.
CHECKOUT_ROOT = _checkout_root()
#: The folder setup.py fills in a wheel: migrations/, models/ and frontend/ (when it was built).
PACKAGE_DATA = _PACKAGE / "_data"
#: Root of the training and evaluation commands' working files (build/, .cache/, benchmarks/results/): the
#: checkout, or the working directory for an installed package.
REPO_ROOT = CHECKOUT_ROOT or Path.cwd()


def _shipped(checkout_path: str, package_path: str) -> Path:
    return CHECKOUT_ROOT / checkout_path if CHECKOUT_ROOT else PACKAGE_DATA / package_path


def migrations_dir() -> Path:
    """The Alembic migrations: migrations/ in a checkout, else maskwatch/_data/migrations. Not a setting: they
    belong to this version's models."""
    return _shipped("migrations", "migrations")


def models_dir() -> Path:
    """Folder of trained weights: $MASKWATCH_MODELS, else models/ in a checkout, else maskwatch/_data/models."""
    return Path(os.environ.get("MASKWATCH_MODELS") or _shipped("models", "models"))


def frontend_dist() -> Path:
    """The built web front end: $FRONTEND_DIST, else frontend/dist in a checkout (`make frontend`), else
    maskwatch/_data/frontend (in the wheel when frontend/dist was built before it)."""
    return Path(os.environ.get("FRONTEND_DIST") or _shipped("frontend/dist", "frontend"))


def default_instance_dir() -> Path:
    """Database, uploads and results: $MASKWATCH_INSTANCE, else instance/ in a checkout, else instance/ in the
    working directory."""
    return Path(os.environ.get("MASKWATCH_INSTANCE") or (CHECKOUT_ROOT or Path.cwd()) / "instance")


def default_classifier_path() -> Path:
    return Path(os.environ.get("MODEL_PATH", models_dir() / "mask_classifier.pt"))


def default_mtcnn_dir() -> Path | None:
    """Fine-tuned MTCNN weights (pnet.pt, rnet.pt, onet.pt) if they are there, else None (stock)."""
    path = models_dir() / "mtcnn"
    return path if path.is_dir() else None


def data_root() -> Path:
    """Training data: $MASKWATCH_DATA, else ../shared/datasets beside the checkout (or the working directory)."""
    return Path(os.environ.get("MASKWATCH_DATA", REPO_ROOT.parent / "shared" / "datasets"))


def default_face_detector_path() -> Path:
    """Our face detector: $FACE_DETECTOR_PATH, else face_detector.onnx in models_dir()."""
    return Path(os.environ.get("FACE_DETECTOR_PATH", models_dir() / "face_detector.onnx"))
