/* readall: reads its standard input to the end, then says what it got (the
 * bytes, a newline shown as \n) and what read() returned at the end and
 * once more after it: 0 both times (end of file), as on Linux. Exit status
 * 0 if so, 1 if not. The kernel test read_returns_input_then_end_of_file
 * gives it "hello\nkeel" and then ends the input. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    char text[256];
    size_t got = 0;
    long result = -1;
    while (got < sizeof(text) && (result = read(0, text + got, sizeof(text) - got)) > 0)
        got += (size_t)result;
    char byte;
    long again = read(0, &byte, 1);
    printf("readall: %zu bytes [", got);
    for (size_t i = 0; i < got; i++) {
        if (text[i] == '\n')
            fputs("\\n", stdout);
        else
            putchar(text[i]);
    }
    printf("]; read returned %ld at the end, then %ld\n", result, again);
    return result == 0 && again == 0 ? 0 : 1;
}
