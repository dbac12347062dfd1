package ring_test

import (
	"fmt"

	"github.com/engagehub/engagehub-native/core/ring"
)

func Example() {
	r, err := ring.New[string](3) // rounded up to 4
	if err != nil {
		panic(err)
	}
	fmt.Println("capacity:", r.Cap())

	for _, s := range []string{"a", "b", "c", "d", "e"} {
		if !r.TryPush(s) {
			fmt.Println("full, dropped", s)
		}
	}
	for {
		v, ok := r.TryPop()
		if !ok {
			break
		}
		fmt.Print(v, " ")
	}
	fmt.Println()
	// Output:
	// capacity: 4
	// full, dropped e
	// a b c d
}
