/* Pieces of the complete kernel. */
#ifndef KEEL_COMPLETE_H
#define KEEL_COMPLETE_H

#include <keel/keel.h>

/* Serve the root directory and ps on top of lab 5's system calls. */
void files_install(void);

/* A keel.run run: standard input is `input` (a file of the boot archive,
 * read to its end and then end-of-file) or, when NULL, the console with
 * Ctrl-D as end-of-file and Enter as a newline, as a Linux terminal. Call
 * before the program starts. */
void files_run_mode(const struct program_file *input);

/* ---- descriptors.c: each process's file descriptors ---------------------- */

/* An open file (Linux's "open file description"): what descriptors name.
 * descriptors.c owns them; one lives while a descriptor names it. */
struct open_file {
    int refs;                        /* descriptors naming it; 0: free */
    const struct program_file *file; /* NULL: the root directory */
    size_t position;
};

/* What a descriptor of the calling process is: not open, the console (0 to
 * 2 until closed: lab 5's read and write serve it), or an open file. */
enum fd_kind { FD_CLOSED, FD_CONSOLE, FD_FILE };

/* Classify descriptor `fd` of the calling process; for FD_FILE, *open is
 * its open file (valid while the descriptor stays open). */
enum fd_kind fd_classify(int fd, struct open_file **open);

/* Open `file` (NULL: the root directory) for the calling process at its
 * lowest free descriptor; the descriptor, or -EMFILE (the process has 35),
 * -ENFILE (all processes' tables are full). */
long fd_open(const struct program_file *file, bool close_on_exec);

/* close: 0, or -EBADF if `fd` is not open. */
long fd_close(int fd);

/* fork through lab 5's syscall_handle, then give the child a copy of the
 * parent's descriptors; `frame` holds the fork system call and gets its
 * result. Call with interrupts off: the child must not run before it has
 * them. */
void fd_fork(struct trap_frame *frame);

/* execve through lab 5's syscall_handle; if it succeeded, close the
 * descriptors opened with O_CLOEXEC. */
void fd_execve(struct trap_frame *frame);

#endif
