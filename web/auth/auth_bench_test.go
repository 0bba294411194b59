package auth

import (
	"context"
	"testing"
)

// BenchmarkVerifyPassword is the argon2id comparison one sign-in costs
// (7 MiB, five passes): the price of a guess, and what the throttle and
// the limit on hashes at once protect the server from.
func BenchmarkVerifyPassword(b *testing.B) {
	h, err := hashPassword("correct horse battery")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !must(verifyPassword(context.Background(), "correct horse battery", h)) {
			b.Fatal("no match")
		}
	}
}

func must(ok bool, err error) bool {
	if err != nil {
		panic(err)
	}
	return ok
}
