"""keelgrade: build Keel kernels, boot them in QEMU or run them as Linux
processes (student code always inside a sandbox), and turn what they say on
the serial line into verdicts a student can act on. Import the modules
themselves (keelgrade.boot, keelgrade.verdict, ...); README.md maps them."""
