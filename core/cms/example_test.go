package cms_test

import (
	"fmt"

	"github.com/engagehub/engagehub-native/core/cms"
)

func Example() {
	// Estimates exceed true counts by at most 0.1 % of all counts, with
	// probability 99 %.
	s, err := cms.New(0.001, 0.01)
	if err != nil {
		panic(err)
	}
	fmt.Println("shape:", s.Width(), "x", s.Depth())

	for _, ch := range []string{"general", "memes", "general", "help", "general"} {
		s.AddString(ch, 1)
	}
	fmt.Println("general:", s.EstimateString("general"))
	fmt.Println("after 10 more:", s.AddString("help", 10))
	fmt.Println("total:", s.Total())
	// Output:
	// shape: 2719 x 5
	// general: 3
	// after 10 more: 11
	// total: 15
}
