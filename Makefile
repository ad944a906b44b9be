# Everything a fresh machine needs, from two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
FILES ?=
DEMO := build/demo/astronaut.jpg

.PHONY: run test install

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

$(DEMO): $(STAMP)
	mkdir -p $(dir $(DEMO))
	$(PY) -c "import skimage.data, PIL.Image; PIL.Image.fromarray(skimage.data.astronaut()).save('$(DEMO)')"

# Detect masks in FILES (default: a demo photo); annotated copies go to build/annotated/.
run: $(STAMP) $(if $(FILES),,$(DEMO))
	$(VENV)/bin/maskwatch detect $(if $(FILES),$(FILES),$(DEMO)) --out build/annotated

test: $(STAMP)
	$(PY) -m pytest -q

# Retrain every shipped model from ../shared/datasets (about an hour on 2 cores), then evaluate.
.PHONY: train
train: $(STAMP)
	$(VENV)/bin/maskwatch synth --out build/synth
	$(VENV)/bin/maskwatch train --arch mobilenet_v3_small --input-size 64 --epochs 14 --threads 2 --out models/mask_classifier.pt
	$(VENV)/bin/maskwatch tune-mtcnn --out models/mtcnn
	$(VENV)/bin/maskwatch evaluate --plots
