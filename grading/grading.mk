# Grading targets, included by the root Makefile.
#   make grade LAB=lab1-boot [SOLUTION=1] [CHECKED=1] [JOBS=n]
#   make doctor

GRADE_FILE = grading/test_$(subst -,_,$(LAB)).py

.PHONY: grade doctor
grade: deps-boot
	@[ "$(LAB)" != complete ] && [ -f "$(GRADE_FILE)" ] || \
	  { echo "make grade needs LAB=<a lab with graders>, e.g. make grade LAB=lab1-boot" >&2; exit 2; }
	@[ -z "$(filter 1 yes true,$(SOLUTION))" ] || [ -d "$(LAB)/solution" ] || \
	  { echo "There is no reference solution in this tree (a student handout): grade your own code with make grade" >&2; exit 2; }
	@$(MAKE) --no-print-directory -s kernel LAB=$(LAB) SOLUTION=$(SOLUTION) CHECKED=$(CHECKED) >/dev/null || \
	  $(MAKE) --no-print-directory kernel LAB=$(LAB) SOLUTION=$(SOLUTION) CHECKED=$(CHECKED)
	@$(PYTHON) -m pytest $(GRADE_FILE) --lab=$(LAB) \
	  $(if $(filter 1 yes true,$(SOLUTION)),--solution) $(if $(filter 1 yes true,$(CHECKED)),--checked) \
	  -n $(JOBS) -q

doctor:
	@$(HOST_PYTHON) grading/keelgrade/doctor.py $(LAB)
