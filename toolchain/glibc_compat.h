/* Force-included (CGO_CFLAGS=-include) into every C file cgo compiles for
 * libengagehub.so, the Go runtime's own runtime/cgo files included.
 *
 * Why: glibc 2.34 moved the pthread functions into libc.so.6 under new
 * symbol versions (GLIBC_2.34; pthread_sigmask and pthread_getattr_np got
 * GLIBC_2.32), and a library linked here binds to those newest versions, so
 * it would not load on a system older than glibc 2.34. libc.so.6 still
 * exports every one of them under its original version GLIBC_2.2.5 (the
 * same code: that is how old binaries keep running), so binding to that
 * version costs nothing here and lets the library load on old systems,
 * where the same functions come from libpthread.so.0, which CPython itself
 * links on those systems. The names are the ones runtime/cgo calls
 * (check with: objdump -T libengagehub.so | grep GLIBC_2.3).
 *
 * x86-64 glibc only: GLIBC_2.2.5 is that architecture's first version.
 * setup.py passes this header only on x86-64 glibc (no libc header may be
 * included here to find out: it would fix the feature macros before the
 * including file defines _GNU_SOURCE); elsewhere the library needs the
 * build machine's glibc.
 */
#if defined(__x86_64__) && defined(__linux__) && !defined(__ASSEMBLER__)
__asm__(".symver pthread_create,pthread_create@GLIBC_2.2.5");
__asm__(".symver pthread_key_create,pthread_key_create@GLIBC_2.2.5");
__asm__(".symver pthread_setspecific,pthread_setspecific@GLIBC_2.2.5");
__asm__(".symver pthread_attr_getstack,pthread_attr_getstack@GLIBC_2.2.5");
__asm__(".symver pthread_attr_getstacksize,pthread_attr_getstacksize@GLIBC_2.2.5");
__asm__(".symver pthread_sigmask,pthread_sigmask@GLIBC_2.2.5");
__asm__(".symver pthread_getattr_np,pthread_getattr_np@GLIBC_2.2.5");
#endif
