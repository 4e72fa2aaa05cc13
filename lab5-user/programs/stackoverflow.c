/* Recurses until the stack runs out, on purpose. */
#pragma GCC diagnostic ignored "-Winfinite-recursion"

static int deeper(volatile int n)
{
    volatile char pad[4096];
    pad[0] = (char)n;
    return deeper(n + 1) + pad[0];
}

int main(void)
{
    return deeper(0);
}
