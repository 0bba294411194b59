package web

import "slices"

// QueueSize is how many events Notify holds before it drops.
const QueueSize = queueSize

// StreamIDs lists the internal streams of the open connections.
func StreamIDs(h *Hub) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := make([]string, 0, len(h.conns))
	for id := range h.conns {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// HoldPublishing stops the hub at its next publish (and new connections)
// until release is called, as a starved process would.
func HoldPublishing(h *Hub) (release func()) {
	h.mu.Lock()
	return h.mu.Unlock
}
