/* Pieces of the complete kernel. */
#ifndef KEEL_COMPLETE_H
#define KEEL_COMPLETE_H

/* Serve the root directory and ps on top of lab 5's system calls. */
void files_install(void);

/* A keel.run run: standard input is `input` (a file of the boot archive,
 * read to its end and then end-of-file) or, when NULL, the console with
 * Ctrl-D as end-of-file and Enter as a newline, as a Linux terminal. Call
 * before the program starts. */
void files_run_mode(const struct program_file *input);

#endif
