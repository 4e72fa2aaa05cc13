/* What the challenge part's programs measure, through Linux's own calls:
 * getrusage's ru_minflt (the page faults the kernel resolved for this
 * process: copy-on-write and demand-zero ones) and sysinfo's freeram. */
#ifndef FAULTS_H
#define FAULTS_H

#include <sys/resource.h>
#include <sys/sysinfo.h>

#define PAGE 4096

static inline long minor_faults(void)
{
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0)
        return -1;
    return usage.ru_minflt;
}

/* Free memory in pages (-1 if sysinfo failed). */
static inline long free_pages(void)
{
    struct sysinfo info;
    if (sysinfo(&info) != 0)
        return -1;
    return (long)(info.freeram * info.mem_unit / PAGE);
}

#endif
