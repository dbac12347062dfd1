package main

// #include <stdint.h>
import "C"

// abiVersion changes whenever engagehub.h changes incompatibly; the Python
// package checks it when it opens the library.
const abiVersion = 3

//export eh_abi_version
func eh_abi_version() C.int { return abiVersion }
