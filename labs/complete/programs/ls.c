/* Lists the files of the boot archive (the root directory). */
#include <dirent.h>
#include <stdio.h>

int main(void)
{
    DIR *root = opendir("/");
    if (!root) {
        perror("ls: /");
        return 1;
    }
    for (struct dirent *entry; (entry = readdir(root)) != NULL;)
        printf("%s\n", entry->d_name);
    closedir(root);
    return 0;
}
