package webhook

import "sync"

// wakeup lets Next sleep until the writer commits a new entry, without
// polling. A waiter takes the current channel before it looks at the store,
// so a commit that lands between its look and its sleep still wakes it.
// The channel is allocated only when someone waits.
type wakeup struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel that is closed by the next broadcast.
func (w *wakeup) wait() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.ch
}

// broadcast wakes every current waiter.
func (w *wakeup) broadcast() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
}
