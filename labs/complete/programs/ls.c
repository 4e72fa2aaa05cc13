/* Lists the files of the boot archive (the root directory), without "." and
 * ".." (like ls without -a). */
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
        if (entry->d_name[0] != '.')
            printf("%s\n", entry->d_name);
    closedir(root);
    return 0;
}
