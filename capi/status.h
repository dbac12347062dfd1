// Private declarations shared by the Go and C files of capi.
#include <stddef.h>
__attribute__((visibility("hidden"))) void ehp_set_error(const char *message, size_t length, int os_errno);
