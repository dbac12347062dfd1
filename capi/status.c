// Thread-local "last error" of the C ABI. Each export runs on the calling C
// thread, so an error set by Go during an export lands in the caller's slot,
// like errno. Kept in C because Go has no thread-local storage.
#include <stdlib.h>
#include <string.h>
#include "engagehub.h"
#include "status.h"

static __thread char *last_message;
static __thread size_t last_length;
static __thread int last_errno;

void ehp_set_error(const char *message, size_t length, int os_errno) {
	free(last_message);
	last_message = malloc(length + 1);
	if (last_message == NULL) {
		last_length = 0;
	} else {
		memcpy(last_message, message, length);
		last_message[length] = '\0';
		last_length = length;
	}
	last_errno = os_errno;
}

int eh_error_take(char **message, size_t *length, int *os_errno) {
	if (last_message == NULL) {
		*message = NULL;
		*length = 0;
		*os_errno = 0;
		return 0;
	}
	*message = last_message;
	*length = last_length;
	*os_errno = last_errno;
	last_message = NULL;
	last_length = 0;
	last_errno = 0;
	return 1;
}

void eh_free(void *p) {
	free(p);
}
