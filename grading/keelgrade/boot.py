"""Running a kernel for a test: QEMU for a PC kernel (qemu_machine.py), the
kernel itself as a process for a Linux-platform one (linux_machine.py). Which
one is read from the ELF file, not from where the build put it."""
from .elf import is_host_program
from .linux_machine import LinuxMachine
from .qemu_machine import QemuMachine


def start_machine(kernel_elf, cmdline, workdir):
    """A running kernel (a KernelRun): QEMU for a PC kernel, the process
    itself for a Linux-platform one."""
    try:
        on_linux = is_host_program(kernel_elf)
    except OSError:  # QEMU says what is wrong with the file
        on_linux = False
    if on_linux:
        return LinuxMachine(kernel_elf, cmdline, workdir)
    return QemuMachine(kernel_elf, cmdline, workdir)


def boot(kernel_elf, cmdline, workdir, timeout, send=None):
    """Boot, optionally type `send`, and read until the run ends (see
    KernelRun.run_to_end). Returns the finished machine."""
    machine = start_machine(kernel_elf, cmdline, workdir)
    try:
        if send:
            machine.send(send)
        machine.run_to_end(timeout)
    finally:
        machine.kill()
    return machine
