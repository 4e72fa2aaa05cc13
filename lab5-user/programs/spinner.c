/* Never gives the CPU up. */
int main(void)
{
    for (;;)
        __asm__ volatile("" ::: "memory");
}
