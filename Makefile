# Two commands do all the set-up on a fresh machine with Python 3.11: `make run` and `make test`.
# The virtual environments are reused; they are reinstalled only when the packaging files change.
# .venv holds ROS 2 Kilted's wheels (the default distribution); .venv-jazzy holds Jazzy's, for
# the ROS tests on the second supported distribution (the two cannot share a venv: both install
# rclpy).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
VENV_JAZZY ?= .venv-jazzy
JAZZY_BIN := $(VENV_JAZZY)/bin
# What runs on Jazzy: the ROS nodes, the bringup and the cross-process smoke test.
JAZZY_TESTS ?= test/ros test/test_ros_smoke.py
PIP_FLAGS ?= --disable-pip-version-check --quiet
PACKAGING := setup.py setup.cfg package.xml
RUN_ARGS ?=
TEST_ARGS ?=

# Every ROS process started from here keeps DDS discovery on this machine.
export ROS_AUTOMATIC_DISCOVERY_RANGE := LOCALHOST
export PYTHONUNBUFFERED := 1

.PHONY: run test test-kilted test-jazzy bench lint clean clean-cache

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(JAZZY_BIN)/python:
	$(PYTHON) -m venv $(VENV_JAZZY)

# The test stamp also satisfies `make run` (its extras are a superset).
$(VENV)/.stamp-ros: $(PACKAGING) | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[ros,record]'
	touch $@

$(VENV)/.stamp-test: $(PACKAGING) | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[ros,record,test,cluster,render,video]'
	touch $@ $(VENV)/.stamp-ros

$(VENV_JAZZY)/.stamp-test: $(PACKAGING) | $(JAZZY_BIN)/python
	$(JAZZY_BIN)/python -m pip install $(PIP_FLAGS) -e '.[ros-jazzy,record,test]'
	touch $@

# The main job: the simulator and the learning controller over ROS, headless, in lockstep (as
# fast as the controller answers), until solved or 1000 episodes. E.g. RUN_ARGS='--mode
# realtime --gui' for wall-clock rate with PyBullet's window, or '--processes --seed 3'.
run: $(VENV)/.stamp-ros
	$(BIN)/memsnn-bringup --mode lockstep --episodes 1000 --target 475 $(RUN_ARGS)

# The full suite on Kilted, then the ROS tests on Jazzy. TEST_ARGS go to both runs (e.g. '-x');
# `make test-kilted TEST_ARGS=test/snn` runs a part on the default distribution only.
test: test-kilted test-jazzy

test-kilted: $(VENV)/.stamp-test
	MEMSNN_EXPECT_ROS_DISTRO=kilted $(BIN)/python -m pytest $(TEST_ARGS)

test-jazzy: $(VENV_JAZZY)/.stamp-test
	MEMSNN_EXPECT_ROS_DISTRO=jazzy $(JAZZY_BIN)/python -m pytest $(JAZZY_TESTS) $(TEST_ARGS)

# Each benchmark prints a table and writes bench_results/<name>.json.
bench: $(VENV)/.stamp-test
	@set -e; mkdir -p bench_results; for script in benchmarks/*.py; do \
		echo "== $$script"; \
		$(BIN)/python $$script --json bench_results/$$(basename $$script .py).json; done

# ruff (ruff.toml), then the type check (mypy.ini).
lint: $(VENV)/.stamp-test
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy

# numba's cache is not invalidated when a module called by a cached kernel changes.
clean-cache:
	find memsnn_controller -name '*.nbi' -delete -o -name '*.nbc' -delete

clean: clean-cache
	rm -rf $(VENV) $(VENV_JAZZY) build *.egg-info .mypy_cache
