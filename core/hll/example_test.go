package hll_test

import (
	"fmt"

	"github.com/engagehub/engagehub-native/core/hll"
)

func Example() {
	lastMinute, thisMinute := hll.New14(), hll.New14()
	for _, u := range []string{"alice", "bob", "carol", "alice"} {
		lastMinute.AddString(u)
	}
	for _, u := range []string{"bob", "dave"} {
		thisMinute.AddString(u)
	}
	fmt.Println("last minute:", lastMinute.Estimate())

	window := lastMinute.Clone()
	if err := window.Merge(thisMinute); err != nil {
		panic(err)
	}
	fmt.Println("both minutes:", window.Estimate())

	data, _ := window.MarshalBinary()
	var restored hll.Sketch
	if err := restored.UnmarshalBinary(data); err != nil {
		panic(err)
	}
	fmt.Println("restored:", restored.Estimate())
	// Output:
	// last minute: 3
	// both minutes: 4
	// restored: 4
}
