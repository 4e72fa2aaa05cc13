# Grading targets, included by the root Makefile (which defines PYTHON, LAB,
# SOLUTION, CHECKED, JOBS, BUILD, HOST_PYTHON).
#
#   make grade LAB=lab1-boot [SOLUTION=1] [CHECKED=1] [PLATFORM=linux] [JOBS=n]
#       build the lab's kernel, run its graders (grading/test_<lab>.py) with n
#       parallel workers, print one line per test and "Score: X/Y", and write
#       grading/results/<lab>.json (Gradescope's format). Exits non-zero unless
#       every test passed. A kernel that does not compile, or lab code the
#       rules refuse (keelgrade/rules.py): the reasons are shown once, then
#       every test fails (and the score and results.json still come). Student
#       code is built, and on Linux run, in a sandbox (keelgrade/sandbox.py);
#       SANDBOX=off opts out.
#   make doctor
#       check this machine's tools and boot a known-good kernel.

PYTHON ?= /usr/bin/python3
JOBS ?= $(shell nproc)
HOST_PYTHON ?= $(shell command -v /usr/bin/python3 || command -v python3)
GRADE_FILE = grading/test_$(subst -,_,$(LAB)).py
GRADE_OPTIONS = --lab=$(LAB) $(if $(filter 1 yes true,$(SOLUTION)),--solution) \
	$(if $(filter 1 yes true,$(CHECKED)),--checked) --platform=$(PLATFORM)
# SANDBOX=off: build and run student code without the sandbox (only on a
# machine that is itself a throw-away container; see grading/README.md).
SANDBOX ?=
SANDBOX_SETTING = $(if $(SANDBOX),KEEL_SANDBOX=$(SANDBOX))

.PHONY: grade doctor
grade: deps-boot
	@[ "$(LAB)" != complete ] && [ -n "$(LAB)" ] && [ -f "$(GRADE_FILE)" ] || \
	  { echo "make grade needs LAB=<a lab with graders>, e.g. make grade LAB=lab1-boot" >&2; exit 2; }
	@[ -z "$(filter 1 yes true,$(SOLUTION))" ] || [ -d "$(LAB)/solution" ] || \
	  { echo "There is no reference solution in this tree (a student handout): grade your own code with make grade" >&2; exit 2; }
	@mkdir -p $(BUILD); tb=; \
	$(SANDBOX_SETTING) PYTHONPATH=grading $(HOST_PYTHON) -m keelgrade.build --lab=$(LAB) \
	  $(if $(filter 1 yes true,$(SOLUTION)),--solution) $(if $(filter 1 yes true,$(CHECKED)),--checked) \
	  --platform=$(PLATFORM) || tb=--tb=no; \
	$(SANDBOX_SETTING) $(PYTHON) -m pytest $(GRADE_FILE) $(GRADE_OPTIONS) -n $(JOBS) -q $$tb

doctor:
	@$(HOST_PYTHON) grading/keelgrade/doctor.py --python $(PYTHON) --lab $(LAB)

# make kernel, run by the graders, sees these too.
export USE_MINE
