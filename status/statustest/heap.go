package statustest

import (
	"runtime"
	"sync/atomic"
	"time"
)

// WatchHeap starts sampling the heap in use every 2 ms, after a garbage
// collection, for the memory figures of benchmarks. stop ends it and
// returns the highest figure seen above the start, in bytes.
func WatchHeap() (stop func() uint64) {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > base.HeapInuse && ms.HeapInuse-base.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse - base.HeapInuse)
				}
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}
