"""keelgrade: build Keel kernels, boot them in QEMU, and turn what they say on
the serial line into verdicts a student can act on."""
from .protocol import Transcript, parse
from .verdict import Verdict, judge_test
from .build import BuildError, Kernel, build_kernel
from .runner import Machine, boot

__all__ = ["Transcript", "parse", "Verdict", "judge_test", "Kernel", "Machine", "boot",
           "build_kernel", "BuildError"]
