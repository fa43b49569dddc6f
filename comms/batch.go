package comms

import (
	"context"
	"sync"
	"time"
)

// batcher runs one statement for many concurrent callers. A caller that
// finds no batch running runs one at once, with its own request and the
// ones that are waiting; requests that arrive meanwhile wait, and the
// first of them runs the next batch when this one ends. Under no load a
// request costs one statement, as before; under load, one statement
// serves up to max of them.
type batcher[In, Out any] struct {
	max int
	run func(ctx context.Context, ins []In) ([]Out, error) // outs match ins

	mu      sync.Mutex
	pending []*batchCall[In, Out]
	busy    bool // a caller is running a batch
}

type batchCall[In, Out any] struct {
	in   In
	out  Out
	err  error
	lead chan struct{} // closed: run the next batch
	done chan struct{} // closed: out and err are set
}

// batchTimeout bounds a batch's statement. A batch serves other callers
// too, so it does not stop when the caller that runs it is cancelled.
const batchTimeout = 10 * time.Second

// do runs in, alone or with others, and returns its result.
func (b *batcher[In, Out]) do(ctx context.Context, in In) (Out, error) {
	c := &batchCall[In, Out]{in: in, lead: make(chan struct{}), done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, c)
	if b.busy {
		b.mu.Unlock()
		select {
		case <-c.done:
			return c.out, c.err
		case <-c.lead:
		}
	} else {
		b.busy = true
		b.mu.Unlock()
	}
	// This call leads: it is the first pending one.
	b.mu.Lock()
	n := min(len(b.pending), b.max)
	batch := b.pending[:n:n]
	b.pending = append([]*batchCall[In, Out](nil), b.pending[n:]...)
	b.mu.Unlock()

	b.exec(ctx, batch)

	b.mu.Lock()
	if len(b.pending) > 0 {
		close(b.pending[0].lead)
	} else {
		b.busy = false
	}
	b.mu.Unlock()
	return c.out, c.err
}

func (b *batcher[In, Out]) exec(ctx context.Context, batch []*batchCall[In, Out]) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTimeout)
	defer cancel()
	ins := make([]In, len(batch))
	for i, c := range batch {
		ins[i] = c.in
	}
	outs, err := b.run(ctx, ins)
	for i, c := range batch {
		if err != nil {
			c.err = err
		} else {
			c.out = outs[i]
		}
		close(c.done)
	}
}
