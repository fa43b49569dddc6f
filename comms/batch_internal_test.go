package comms

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// Concurrent callers each get their own result, in fewer statements than
// callers, never more than max at once.
func TestBatcherServesEachCaller(t *testing.T) {
	t.Parallel()
	var runs, biggest atomic.Int64
	gate := make(chan struct{})
	b := &batcher[int, int]{max: 8, run: func(_ context.Context, ins []int) ([]int, error) {
		if runs.Add(1) == 1 {
			<-gate // hold the first batch so that others queue up
		}
		if n := int64(len(ins)); n > biggest.Load() {
			biggest.Store(n)
		}
		outs := make([]int, len(ins))
		for i, in := range ins {
			outs[i] = in * in
		}
		return outs, nil
	}}
	const callers = 100
	var wg sync.WaitGroup
	results := make([]int, callers)
	first := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		close(first)
		results[0], _ = b.do(t.Context(), 0)
	}()
	<-first
	for i := 1; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := b.do(t.Context(), i)
			if err == nil {
				results[i] = out
			}
		}()
	}
	// Let the callers pile up behind the held batch, then release it.
	for {
		b.mu.Lock()
		n := len(b.pending)
		b.mu.Unlock()
		if n >= callers-1 || runs.Load() > 1 {
			break
		}
	}
	close(gate)
	wg.Wait()
	for i, r := range results {
		require.Equal(t, i*i, r, "caller %d", i)
	}
	require.Less(t, runs.Load(), int64(callers/4), "callers share statements")
	require.LessOrEqual(t, biggest.Load(), int64(8))
	require.False(t, b.busy, "idle after the last batch")
}

// A failed statement fails every caller of its batch, and the next call
// runs afresh.
func TestBatcherPassesErrorsOn(t *testing.T) {
	t.Parallel()
	fail := errors.New("database gone")
	calls := 0
	b := &batcher[string, string]{max: 4, run: func(_ context.Context, ins []string) ([]string, error) {
		calls++
		if calls == 1 {
			return nil, fail
		}
		return ins, nil
	}}
	_, err := b.do(t.Context(), "a")
	require.ErrorIs(t, err, fail)
	out, err := b.do(t.Context(), "b")
	require.NoError(t, err)
	require.Equal(t, "b", out)
}

// A batch is not cut short by the cancelled context of the caller that
// runs it: it serves the others too.
func TestBatcherOutlivesItsCallersContext(t *testing.T) {
	t.Parallel()
	b := &batcher[int, error]{max: 4, run: func(ctx context.Context, ins []int) ([]error, error) {
		return make([]error, len(ins)), ctx.Err()
	}}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := b.do(ctx, 1)
	require.NoError(t, err)
}
