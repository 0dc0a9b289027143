package kpaudit

import "testing"

// eachBenchLines is the corpus of BenchmarkProcessEach: the other
// benchmarks' (benchCorpus), as lines.
func eachBenchLines(b *testing.B) [][]byte {
	return lines(benchCorpus(b))
}

// BenchmarkProcessEach passes the corpus in calls of eachBatch events, as
// a Collector processor gets them, one cgo call per batch.
func BenchmarkProcessEach(b *testing.B) {
	const eachBatch = 1000
	tr := newTransform(b, "")
	in := eachBenchLines(b)
	size := 0
	for _, l := range in {
		size += len(l) + 1
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for i := 0; i < len(in); i += eachBatch {
			_, errs := tr.ProcessEach(in[i:min(i+eachBatch, len(in))])
			for _, err := range errs {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	reportEvents(b, len(in))
}
