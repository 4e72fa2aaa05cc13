int main(void)
{
    void (*jump)(void) = (void (*)(void))0x0000800000000000ul;
    jump();
    return 0;
}
