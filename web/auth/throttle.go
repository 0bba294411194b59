package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// throttle limits login attempts per key (a client address, a user name)
// with a token bucket each. Only failed attempts are charged: a success
// gives its token back.
type throttle struct {
	mu      sync.Mutex
	every   time.Duration // one attempt back per every
	burst   int
	buckets map[string]*rate.Limiter
}

// maxBuckets bounds the memory an attacker can make the throttle use by
// trying many names or addresses; full buckets are forgotten first.
const maxBuckets = 10000

func newThrottle(every time.Duration, burst int) *throttle {
	return &throttle{every: every, burst: burst, buckets: map[string]*rate.Limiter{}}
}

// take charges one attempt to key at now. It returns the wait before the
// next attempt is allowed when none is left (nothing is charged then),
// else 0 and a function that gives the attempt back.
func (t *throttle) take(key string, now time.Time) (wait time.Duration, refund func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.buckets[key]
	if !ok {
		if len(t.buckets) >= maxBuckets {
			t.forget(now)
		}
		l = rate.NewLimiter(rate.Every(t.every), t.burst)
		t.buckets[key] = l
	}
	r := l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, nil
	}
	// Cancelled at the time it was made: a reservation that has "acted"
	// (its time is past) gives nothing back.
	return 0, func() { r.CancelAt(now) }
}

// forget drops the buckets that are full again, or every bucket when an
// attacker keeps them all busy: throttling then starts over, but memory
// stays bounded.
func (t *throttle) forget(now time.Time) {
	for k, l := range t.buckets {
		if l.TokensAt(now) >= float64(t.burst) {
			delete(t.buckets, k)
		}
	}
	if len(t.buckets) >= maxBuckets {
		clear(t.buckets)
	}
}
