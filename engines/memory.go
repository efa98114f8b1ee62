package main

import (
	"log"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// exitMemoryLimit tells the parent that the watchdog stopped the process.
const exitMemoryLimit = 86

// startMemoryWatchdog makes the limit hard: GOMEMLIMIT alone only makes the GC work harder,
// while a YAML alias bomb keeps every byte live. A goroutine samples the memory the runtime
// holds from the OS and exits the process above the cap; Go preempts the allocating goroutine,
// so the sampler runs even during a runaway decode. The parent also samples RSS as a backstop.
func startMemoryWatchdog(limit int64) {
	debug.SetMemoryLimit(limit * 8 / 10)
	samples := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	go func() {
		for range time.Tick(20 * time.Millisecond) {
			metrics.Read(samples)
			held := int64(samples[0].Value.Uint64() - samples[1].Value.Uint64())
			if held > limit {
				log.Printf("memory limit exceeded: %d bytes held, limit %d", held, limit)
				os.Exit(exitMemoryLimit)
			}
		}
	}()
}
