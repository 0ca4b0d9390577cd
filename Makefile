# make demo  -> creates .venv, installs, runs the main job on built-in inputs
# make test  -> creates .venv, installs, runs the test suite
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DEMO_OUT ?= demo_out

.PHONY: install demo test test-fast lint format clean gpu-check gpu-check-data

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, by exact version, so pip takes the CPU build from local disk
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[video,smpl,scale,dev]"
	# mediapipe 0.10.14 bundles BlazePose; --no-deps keeps its stale pins (jax, numpy<2) out
	$(BIN)/pip install -q --no-deps mediapipe==0.10.14
	# controlnet-aux 0.0.10 (dev): tests compare `retarget draw` with its annotators' own
	# drawing code; --no-deps keeps torchvision, timm and huggingface_hub out
	$(BIN)/pip install -q --no-deps controlnet-aux==0.0.10
	touch $(STAMP)

demo: install
	$(BIN)/python -m retarget.demo --out $(DEMO_OUT) --docs docs/images

test: install
	$(BIN)/python -m pytest -q -ra

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

# The learned renderer on a GPU (benchmarks/gpu_check.py): on the GPU machine, with its own
# python3 (PyTorch with CUDA, OpenCV; no PyAV or mediapipe needed): `make gpu-check`. It
# reads benchmarks/gpu_data/*.npz, made here first by `make gpu-check-data`.
GPU_CHECK_ARGS ?= --minutes 4
gpu-check:
	$(PY) -m pytest -q -p no:cacheprovider tests/test_cuda.py
	$(PY) benchmarks/gpu_check.py $(GPU_CHECK_ARGS)

gpu-check-data: install
	$(BIN)/python benchmarks/gpu_check.py --prepare

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	# the layer rules of docs/architecture.md (pyproject.toml [tool.importlinter])
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
