/* A division by zero (written in assembly: in C the compiler may assume it
 * never happens and leave the division out). */
int main(void)
{
    __asm__ volatile("xorl %%edx, %%edx\n\t"
                     "movl $1, %%eax\n\t"
                     "xorl %%ecx, %%ecx\n\t"
                     "divl %%ecx" ::
                         : "eax", "ecx", "edx");
    return 0;
}
