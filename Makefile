# Everything a fresh machine needs, from two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
FILES ?=
DEMO := build/demo/astronaut.jpg

.PHONY: run detect test install mariadb redis frontend chromium wheel

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

$(DEMO): $(STAMP)
	mkdir -p $(dir $(DEMO))
	$(PY) -c "import skimage.data, PIL.Image; PIL.Image.fromarray(skimage.data.astronaut()).save('$(DEMO)')"

# The browser app (Vue + Vite) in frontend/dist, which `maskwatch serve` serves: rebuilt when missing or
# older than its sources; npm ci again when package-lock.json changed.
FRONTEND_SRC := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/vite.config.js
NODE_MODULES := frontend/node_modules/.ci-stamp
FRONTEND_DIST := frontend/dist/index.html

$(NODE_MODULES): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(FRONTEND_DIST): $(NODE_MODULES) $(FRONTEND_SRC)
	cd frontend && npm run build
	touch $@

frontend: $(FRONTEND_DIST)

# A wheel in build/wheel with the migrations, the trained weights and the front end inside (setup.py); once
# installed, `maskwatch serve` keeps its instance/ in the working directory. build/lib goes first: setuptools
# would leave deleted modules there.
wheel: $(STAMP) $(FRONTEND_DIST)
	rm -rf build/lib build/wheel
	$(PY) -m pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation -w build/wheel .

# The web app on http://localhost:5000 (SQLite in instance/; DATABASE_URL=mysql+pymysql://... for MySQL).
run: $(STAMP) $(FRONTEND_DIST)
	$(VENV)/bin/maskwatch serve $(if $(HTTPS),--https)

# Detect masks in FILES (default: a demo photo); annotated copies go to build/annotated/.
detect: $(STAMP) $(if $(FILES),,$(DEMO))
	$(VENV)/bin/maskwatch detect $(if $(FILES),$(FILES),$(DEMO)) --out build/annotated

# The store, API and live tests also run on a real MariaDB, which the tests start and stop themselves;
# the frontend's unit tests run in Vitest, its browser tests (tests/e2e) in Debian's headless Chromium;
# mypy checks the core packages first ([tool.mypy] in pyproject.toml).
test: $(STAMP) mariadb redis chromium $(FRONTEND_DIST)
	cd frontend && npm run lint && npm test
	$(VENV)/bin/ruff check backend tests benchmarks
	$(VENV)/bin/ruff format --check backend tests benchmarks
	$(PY) -m mypy
	MASKWATCH_REQUIRE_MARIADB=1 MASKWATCH_REQUIRE_REDIS=1 $(PY) -m pytest -q

mariadb:
	@command -v mariadbd >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null; }

# The scale-out tests start their own redis-server (the Celery broker) as a plain process.
redis:
	@command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends redis-server >/dev/null; }

# Playwright drives this Chromium (`playwright install` downloads browsers and is never run).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; }

# WIDER FACE (research use only), built from two repository snapshots into .cache/wider-face; see
# ../shared/tools/wider_face.py for the snapshots (WIDER_IMAGES_GIT, WIDER_LABELS_GIT: their git dirs).
WIDER := .cache/wider-face
WIDER_IMAGES_GIT ?= /work/.mirror/Yusepp+YOLOv8-Face/repo
WIDER_LABELS_GIT ?= /work/.mirror/SihanWang-WHU+Face_Detection/repo
$(WIDER)/val:
	$(PY) ../shared/tools/wider_face.py --images-git $(WIDER_IMAGES_GIT) --labels-git $(WIDER_LABELS_GIT) --out $(WIDER)

# Retrain every shipped model from ../shared/datasets and WIDER FACE (the face detector takes about an
# hour and a half on 2 idle cores and resumes where it stopped; the classifier about 15 minutes), then evaluate.
.PHONY: train
train: $(STAMP) $(WIDER)/val
	$(VENV)/bin/maskwatch train-detector --out build/detector/run --epochs 32 --threads 1 --resume
	$(VENV)/bin/maskwatch export-detector build/detector/run/best.pt --out models/face_detector.onnx
	$(VENV)/bin/maskwatch synth --out build/synth
	$(VENV)/bin/maskwatch synth --out build/synth_incorrect --placements nose_uncovered,chin --seed 1
	$(VENV)/bin/maskwatch train --arch mobilenet_v3_small --input-size 96 --epochs 10 --threads 1 --out models/mask_classifier.pt
	$(VENV)/bin/maskwatch calibrate-detail --model models/mask_classifier.pt
	$(VENV)/bin/maskwatch tune-mtcnn --out models/mtcnn --epochs 6 --seed 0 --bench
	$(VENV)/bin/maskwatch evaluate --plots
