package kpaudit

import (
	"bytes"
	"testing"
)

// Each benchmark op is one pass over the whole corpus, so MB/s and
// events/s compare directly across the library and the encoding/json
// reference:
//
//	go test -bench . -run '^$' -count 3

// chunkSize is the batch benchmark's chunk: a log shipper's buffer.
const chunkSize = 1 << 20

func benchLines(b *testing.B) ([]byte, [][]byte) {
	corpus := benchCorpus(b)
	return corpus, lines(corpus)
}

func reportEvents(b *testing.B, events int) {
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkProcess(b *testing.B) {
	tr := newTransform(b, "")
	corpus, in := benchLines(b)
	b.SetBytes(int64(len(corpus)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, line := range in {
			if _, err := tr.Process(line); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportEvents(b, len(in))
}

func BenchmarkProcessBatch(b *testing.B) {
	tr := newTransform(b, "")
	corpus, in := benchLines(b)
	chunks := splitChunks(corpus, chunkSize)
	b.SetBytes(int64(len(corpus)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, c := range chunks {
			res, err := tr.ProcessBatch(c)
			if err != nil || len(res.Rejected) > 0 {
				b.Fatal(err, res.Rejected)
			}
		}
	}
	reportEvents(b, len(in))
}

func BenchmarkEncodingJSON(b *testing.B) {
	corpus, in := benchLines(b)
	b.SetBytes(int64(len(corpus)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, line := range in {
			if _, err := refProcess(line); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportEvents(b, len(in))
}

// The parallel pair shows how each scales over the machine's cores with
// one shared Transform.
func BenchmarkProcessParallel(b *testing.B) {
	tr := newTransform(b, "")
	corpus, in := benchLines(b)
	b.SetBytes(int64(len(corpus)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			for _, line := range in {
				if _, err := tr.Process(line); err != nil {
					b.Error(err)
					return
				}
			}
		}
	})
	reportEvents(b, len(in))
}

func BenchmarkEncodingJSONParallel(b *testing.B) {
	corpus, in := benchLines(b)
	b.SetBytes(int64(len(corpus)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			for _, line := range in {
				if _, err := refProcess(line); err != nil {
					b.Error(err)
					return
				}
			}
		}
	})
	reportEvents(b, len(in))
}

// splitChunks cuts NDJSON into chunks of at most size bytes at line ends
// (a longer line is a chunk of its own).
func splitChunks(ndjson []byte, size int) [][]byte {
	var chunks [][]byte
	for len(ndjson) > 0 {
		end := min(size, len(ndjson))
		if end < len(ndjson) {
			if nl := bytes.LastIndexByte(ndjson[:end], '\n'); nl >= 0 {
				end = nl + 1
			} else if nl := bytes.IndexByte(ndjson[end:], '\n'); nl >= 0 {
				end += nl + 1
			} else {
				end = len(ndjson)
			}
		}
		chunks = append(chunks, ndjson[:end])
		ndjson = ndjson[end:]
	}
	return chunks
}
