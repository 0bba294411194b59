package lifecycle

import "testing"

func TestUsageIsPushedWhenItChangesNoticeably(t *testing.T) {
	const mib = 1 << 20
	base := Usage{Name: "web", CPU: 10, MemUsed: 100 * mib, MemLimit: 1024 * mib}
	tests := []struct {
		name string
		next func(Usage) Usage
		want bool
	}{
		{"the same", func(u Usage) Usage { return u }, false},
		{"CPU by half a point", func(u Usage) Usage { u.CPU += 0.5; return u }, false},
		{"CPU by a point", func(u Usage) Usage { u.CPU += 1; return u }, true},
		{"CPU down by two points", func(u Usage) Usage { u.CPU -= 2; return u }, true},
		{"memory by 4%", func(u Usage) Usage { u.MemUsed += 4 * mib; return u }, false},
		{"memory by 5%", func(u Usage) Usage { u.MemUsed += 5 * mib; return u }, true},
		{"memory down by 6%", func(u Usage) Usage { u.MemUsed -= 6 * mib; return u }, true},
		{"a new memory limit", func(u Usage) Usage { u.MemLimit = 512 * mib; return u }, true},
	}
	for _, tt := range tests {
		if got := noticeable(base, tt.next(base)); got != tt.want {
			t.Errorf("%s: noticeable = %v, want %v", tt.name, got, tt.want)
		}
	}
	small := Usage{Name: "tiny", MemUsed: 2 * mib}
	if noticeable(small, Usage{Name: "tiny", MemUsed: 2*mib + mib/2}) {
		t.Errorf("half a MiB on a small container is pushed")
	}
}

func TestApplyUsageSendsWhatChangedAndForgetsWhatStopped(t *testing.T) {
	m := &Manager{}
	a, b := Usage{Name: "a", CPU: 5, MemUsed: 10 << 20}, Usage{Name: "b", CPU: 1, MemUsed: 10 << 20}
	if got := m.applyUsage([]Usage{a, b}); len(got) != 2 {
		t.Fatalf("first report: %+v, want both", got)
	}
	a2 := a
	a2.CPU += 0.2
	if got := m.applyUsage([]Usage{a2, b}); len(got) != 0 {
		t.Errorf("no noticeable change: %+v", got)
	}
	if u, _ := m.Usage("a"); u.CPU != 5 {
		t.Errorf("the usage shown moved with an unnoticeable change: %+v", u)
	}
	got := m.applyUsage([]Usage{a})
	if len(got) != 1 || got[0].Name != "b" || !got[0].Gone {
		t.Errorf("b stopped: %+v, want it gone", got)
	}
	if _, ok := m.Usage("b"); ok {
		t.Errorf("b's usage still known")
	}
}
