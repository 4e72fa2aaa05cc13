# Grading targets, included by the root Makefile (the same one in a handout),
# which defines PYTHON, HOST_PYTHON, JOBS, BUILD, LAB, SOLUTION, CHECKED and
# PLATFORM.
#
#   make grade LAB=lab1-boot [SOLUTION=1] [CHECKED=1] [PLATFORM=linux] [JOBS=n] [RECORD=n]
#       build the lab's kernel, run its graders (grading/test_<lab>.py) with n
#       parallel workers, print one line per test and "Score: X/Y", and write
#       grading/results/<lab>.json (Gradescope's format). Exits non-zero unless
#       every test passed. A kernel that does not compile, or lab code the
#       rules refuse (keelgrade/rules.py): the reasons are shown once, then
#       every test fails (and the score and results.json still come). Student
#       code is built, and on Linux run, in a sandbox (keelgrade/sandbox.py);
#       SANDBOX=off opts out. On the PC, up to RECORD (3) failed tests per
#       grading process are recorded for make replay (docs/debugging.md).
#   make doctor
#       check this machine's tools and boot a known-good kernel.
#   make grade-all LAB=… SUBMISSIONS=dir [GRADES=dir] [PLATFORM=…] [PARALLEL=n]
#       grade a folder of submissions (directories, .zip, .tar.gz), each in
#       its own copy of the pristine handout: GRADES/grades.csv, GRADES/
#       summary.txt and GRADES/<submission>/results.json (full tree only).
#   make gradescope LAB=… [PLATFORM=…] [SANDBOX=off]
#       dist/LAB-gradescope.zip, Gradescope's autograder (full tree only).

GRADE_FILE = grading/test_$(subst -,_,$(LAB)).py
GRADE_OPTIONS = --lab=$(LAB) $(if $(filter 1 yes true,$(SOLUTION)),--solution) \
	$(if $(filter 1 yes true,$(CHECKED)),--checked) --platform=$(PLATFORM)
# A Linux-platform kernel runs in milliseconds: starting pytest-xdist's
# workers would cost more than the tests, so one process boots up to JOBS
# in-kernel tests' kernels at once instead (starting another as each ends).
# Plugins are named, not discovered: scanning every installed package for
# pytest plugins costs ~50 ms, and a plugin the machine happens to have must
# not change how a lab is graded.
# keelgrade.grade is pytest, with the kernel building while pytest starts.
GRADE_PYTEST = PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 PYTHONPATH=grading $(PYTHON) -m keelgrade.grade
GRADE_PARALLEL = $(if $(ON_LINUX),--boot-ahead=$(JOBS),-p xdist.plugin -n $(JOBS))
# RECORD=n: on the PC, each grading process boots up to n failed in-kernel
# tests (not hangs) once more under QEMU's record mode, for make replay
# (keelgrade/recording.py); RECORD=0 (or KEEL_RECORD=0 in the environment)
# records none. make replay records any other failed test on demand.
RECORD ?= $(or $(KEEL_RECORD),3)
# SANDBOX=off: build and run student code without the sandbox (only on a
# machine that is itself a throw-away container; see grading/README.md).
SANDBOX ?=
SANDBOX_SETTING = $(if $(SANDBOX),KEEL_SANDBOX=$(SANDBOX))

.PHONY: grade doctor grade-all gradescope
grade: deps-boot
	@[ "$(LAB)" != complete ] && [ -n "$(LAB)" ] && [ -f "$(GRADE_FILE)" ] || \
	  { echo "make grade needs LAB=<a lab with graders>, e.g. make grade LAB=lab1-boot" >&2; exit 2; }
	@[ -z "$(filter 1 yes true,$(SOLUTION))" ] || [ -d "$(LAB)/solution" ] || \
	  { echo "There is no reference solution in this tree (a student handout): grade your own code with make grade" >&2; exit 2; }
	@$(SANDBOX_SETTING) KEEL_RECORD=$(RECORD) $(GRADE_PYTEST) $(GRADE_FILE) $(GRADE_OPTIONS) --build-first -q \
	  $(GRADE_PARALLEL)

doctor:
	@$(HOST_PYTHON) grading/keelgrade/doctor.py --python $(PYTHON)

# ---- grading a class ------------------------------------------------------------------------
GRADES ?= dist/$(LAB)-grades
PARALLEL ?=
PRISTINE_DIR = $(BUILD)/pristine
SUBMISSION_TOOL = $(SANDBOX_SETTING) PYTHONPATH=grading $(PYTHON) -m keelgrade.submission
define need_full_tree
	@[ -d framework/core ] || { echo "make $@ runs in the full Keel tree: it builds the lab's handout" >&2; exit 2; }
	@[ "$(LAB)" != complete ] && [ -f "$(GRADE_FILE)" ] || \
	  { echo "make $@ needs LAB=<a lab with graders>, e.g. make $@ LAB=lab2-mm" >&2; exit 2; }
endef

grade-all: deps-boot
	$(need_full_tree)
	@[ -n "$(SUBMISSIONS)" ] && [ -d "$(SUBMISSIONS)" ] || \
	  { echo "make grade-all needs SUBMISSIONS=<a folder of submissions>" >&2; exit 2; }
	@$(MAKE) --no-print-directory -s handout LAB=$(LAB) HANDOUT=$(PRISTINE_DIR)/$(LAB)-handout.tar.gz >/dev/null
	@echo "Preparing the pristine $(LAB) handout ($(PLATFORM))..."
	@$(SUBMISSION_TOOL) pristine --pristine $(PRISTINE_DIR)/$(LAB)-$(PLATFORM) --lab $(LAB) \
	  --platform $(PLATFORM) --handout $(PRISTINE_DIR)/$(LAB)-handout.tar.gz
	@$(SUBMISSION_TOOL) all --pristine $(PRISTINE_DIR)/$(LAB)-$(PLATFORM) --lab $(LAB) \
	  --platform $(PLATFORM) --folder "$(SUBMISSIONS)" --out "$(GRADES)" $(if $(PARALLEL),--parallel $(PARALLEL))

gradescope: deps-build
	$(need_full_tree)
	@$(MAKE) --no-print-directory -s handout LAB=$(LAB) HANDOUT=$(BUILD)/gradescope/$(LAB)-handout.tar.gz >/dev/null
	@PYTHONPATH=grading $(HOST_PYTHON) -m keelgrade.gradescope --lab $(LAB) --platform $(PLATFORM) \
	  --sandbox $(if $(filter off 0 no false,$(SANDBOX)),off,on) \
	  --handout $(BUILD)/gradescope/$(LAB)-handout.tar.gz --out dist/$(LAB)-gradescope.zip

# make kernel, run by the graders, sees these too.
export USE_MINE
