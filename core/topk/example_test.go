package topk_test

import (
	"fmt"

	"github.com/engagehub/engagehub-native/core/topk"
)

func Example() {
	tr, err := topk.New(3) // keeps at most 3 channels
	if err != nil {
		panic(err)
	}
	for _, ch := range []string{"general", "memes", "general", "help", "general", "memes", "offtopic"} {
		tr.Add(ch, 1)
	}
	for _, it := range tr.Top(2) {
		fmt.Printf("%s: %d (true count ≥ %d)\n", it.Key, it.Count, it.Count-it.Error)
	}
	fmt.Println("tracked:", tr.Len(), "of", tr.Total(), "events")
	// Output:
	// general: 3 (true count ≥ 3)
	// memes: 2 (true count ≥ 2)
	// tracked: 3 of 7 events
}
