"""The broken variants test_broken.py builds: deliberately broken versions of
the reference solutions, one module per lab (lab2.py … lab5.py) and one per
lab's challenge part (lab3_challenge.py …). Add a row to the module of its
lab; this file merges them.

BROKEN, name: (lab, file in the lab's solution/, text in the reference,
    broken text, in-kernel test that must fail, words the verdict must
    contain: a list, or {"pc": [...], "linux": [...]} when the platforms'
    verdicts differ; a tuple in the list means any one of its wordings).
WRONG_ANSWERS, name: (lab, file, text in the reference, broken text,
    host-checked test): mistakes that pass every in-kernel check, which only
    a host-checked test sees (the kernel's answers differ from the grader's
    for the run's seed).
ALSO, name: (text, broken text), or a list of them: further edits, in the
    same file, that a variant needs besides its main one."""
from . import (lab1_challenge, lab2, lab2_challenge, lab3, lab3_challenge, lab4, lab4_challenge, lab5,
               lab5_challenge)

MODULES = (lab1_challenge, lab2, lab2_challenge, lab3, lab3_challenge, lab4, lab4_challenge, lab5,
           lab5_challenge)
BROKEN, WRONG_ANSWERS, ALSO = {}, {}, {}
for _module in MODULES:
    for _merged, _table in ((BROKEN, "BROKEN"), (WRONG_ANSWERS, "WRONG_ANSWERS"), (ALSO, "ALSO")):
        _rows = getattr(_module, _table, {})
        _twice = set(_rows) & set(_merged)
        assert not _twice, f"broken variants named twice: {sorted(_twice)}"
        _merged.update(_rows)
