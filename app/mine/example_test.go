package mine_test

import (
	"context"
	"fmt"

	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/mine"
)

func Example() {
	m := mine.New(mine.Config{MinSupport: 5, MinConfidence: 1})
	for i := range 20 {
		c, k := fmt.Sprint("c", i), fmt.Sprint("k", i)
		status := "ContractActive"
		if i%2 == 0 {
			status = "ContractTerminated"
		}
		m.Add(&kg.Graph{Root: c, Triples: []kg.Triple{
			{Subject: c, Predicate: "contract", Object: k, ObjectKind: kg.Entity, Class: kg.ClassEdge},
			{Subject: k, Predicate: "status", Object: status, Class: kg.ClassCategory},
			{Subject: k, Predicate: "active", Object: fmt.Sprint(i%2 == 1), Class: kg.ClassCategory},
		}})
	}
	res, err := m.Mine(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res.Rules {
		if r.Head.Predicate == "status" {
			fmt.Println(r.Pattern(), r.Correct, r.Confidence)
		}
	}
	fmt.Println(len(res.Rules), "rules, stopped on", res.Stats.Stop)
	// Output:
	// status(X,Y) <= active(X,A) 20 1
	// status(X,Y) <= contract(A,X) 20 1
	// status(X,'ContractActive') <= active(X,'true') 10 1
	// status(X,'ContractTerminated') <= active(X,'false') 10 1
	// 10 rules, stopped on saturated
}
