//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	kpaudit "github.com/kpaudit/kpaudit/go"
)

const (
	kafkaEvents     = 200000
	kafkaPartitions = 4
	rawTopic        = "kp-raw"
	group           = "kpaudit"
	idMember        = `"kpTestId":"`
)

// startKafka starts a broker with the repository's copy of start-kafka.sh
// (Apache Kafka from Maven Central, KRaft, 127.0.0.1 only) and stops it when
// the test ends. The jars stay in dir/lib between runs; the data does not.
// A broker that cannot start fails the test.
func startKafka(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	scripts := filepath.Join(root, "go", "otelcol", "testdata", "kafka")
	dir := os.Getenv("KPAUDIT_KAFKA_DIR")
	if dir == "" {
		dir = filepath.Join(root, "target", "kafka")
		if td := os.Getenv("CARGO_TARGET_DIR"); td != "" {
			dir = filepath.Join(td, "kafka")
			if !filepath.IsAbs(td) {
				dir = filepath.Join(root, td, "kafka")
			}
		}
	}
	port := freePortPair(t)
	var stderr bytes.Buffer
	cmd := exec.Command("bash", filepath.Join(scripts, "start-kafka.sh"), dir, strconv.Itoa(port))
	cmd.Stderr = &stderr
	began := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("start-kafka.sh %s %d: %v\n%s", dir, port, err, stderr.Bytes())
	}
	t.Logf("Kafka broker PID %s on 127.0.0.1:%d, up in %.1f s", strings.TrimSpace(string(out)), port, time.Since(began).Seconds())
	t.Cleanup(func() {
		stop := exec.Command("bash", filepath.Join(scripts, "stop-kafka.sh"), dir)
		if out, err := stop.CombinedOutput(); err != nil {
			t.Errorf("stop-kafka.sh: %v\n%s", err, out)
		}
	})
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// freePortPair finds a port p such that p and p+1 (the controller's) are free.
func freePortPair(t *testing.T) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if port >= 65534 {
			continue
		}
		if l2, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+1)); err == nil {
			l2.Close()
			return port
		}
	}
	t.Fatal("no two consecutive free ports on 127.0.0.1")
	return 0
}

// input is one line fed to kp-raw and what the library makes of it.
type input struct {
	value     []byte
	partition int32
	route     string // "" when rejected
	hash      uint64 // of the transformed event
	reason    string // "code: message" when rejected
}

func hashOf(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// eventID reads the id the test put first in an event.
func eventID(v []byte) (int, bool) {
	i := bytes.Index(v, []byte(idMember))
	if i < 0 {
		return 0, false
	}
	rest := v[i+len(idMember):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(string(rest[:end]))
	return n, err == nil
}

// Pipeline (b), examples/kafka.yaml: 200,000 generated events, each with a
// unique id, into a 4-partition kp-raw; two collectors in consumer group
// kpaudit; one killed with SIGKILL mid-stream and started again. At the
// end every accepted input is in its route's topic at least once, exactly
// as the library transforms it, each route topic holds only its route, and
// kp-dead-letter holds every rejected line's reason and none of its bytes.
// The duplicates that at-least-once delivery made are printed.
func TestKafkaConsumerGroup(t *testing.T) {
	testStart := time.Now()
	root := repoRoot(t)
	collector(t) // built before the clock of the broker starts
	brokers := startKafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchMaxBytes(4<<20), kgo.MaxBufferedRecords(20000))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopics(ctx, kafkaPartitions, 1, nil, rawTopic); err != nil {
		t.Fatal(err)
	}

	// The feed: generated events, each accepted one given an id as its
	// first member; corrupted lines as they are.
	tr, err := kpaudit.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	raw := lines(genEvents(t, "--count", strconv.Itoa(kafkaEvents), "--seed", "5", "--corrupt-percent", "1"))
	if len(raw) != kafkaEvents {
		t.Fatalf("the generator wrote %d lines", len(raw))
	}
	inputs := make([]input, len(raw))
	wantReasons := map[string]int{}
	var rejected [][]byte
	for i, line := range raw {
		in := &inputs[i]
		in.partition = int32(i % kafkaPartitions)
		if _, err := tr.Process(line); err == nil {
			in.value = fmt.Appendf(nil, `{%s%07d",%s`, idMember, i, line[1:])
		} else {
			in.value = line
		}
		r, err := tr.Process(in.value)
		if err != nil {
			var kerr *kpaudit.Error
			if !errors.As(err, &kerr) {
				t.Fatal(err)
			}
			in.reason = kerr.Code.String() + ": " + kerr.Message
			wantReasons[in.reason]++
			rejected = append(rejected, line)
			continue
		}
		in.route, in.hash = r.Route, hashOf(r.Event)
	}
	if len(rejected) < kafkaEvents/200 || len(rejected) > kafkaEvents/50 {
		t.Fatalf("%d rejected lines of %d: the corpus should have about 1%%", len(rejected), kafkaEvents)
	}

	began := time.Now()
	const chunk = 5000
	for i := 0; i < len(inputs); i += chunk {
		var recs []*kgo.Record
		for j := i; j < min(i+chunk, len(inputs)); j++ {
			recs = append(recs, &kgo.Record{Topic: rawTopic, Partition: inputs[j].partition, Value: inputs[j].value})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("producing to %s: %v", rawTopic, err)
		}
	}
	ends, err := adm.ListEndOffsets(ctx, rawTopic)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for p := range int32(kafkaPartitions) {
		o, _ := ends.Lookup(rawTopic, p)
		total += o.Offset
	}
	if total != kafkaEvents {
		t.Fatalf("%s holds %d records, %d were produced", rawTopic, total, kafkaEvents)
	}
	t.Logf("produced %d events (%d rejected lines among them) to %d partitions of %s in %.1f s",
		kafkaEvents, len(rejected), kafkaPartitions, rawTopic, time.Since(began).Seconds())

	// Two collectors in one consumer group.
	dir := t.TempDir()
	config := filepath.Join(root, "go", "otelcol", "examples", "kafka.yaml")
	env := func(id string) []string {
		return []string{"KAFKA_BROKERS=" + brokers, "KPAUDIT_CLIENT_ID=" + id, "KPAUDIT_METRICS_PORT=" + strconv.Itoa(freePort(t))}
	}
	logA, logB := filepath.Join(dir, "collector-a.log"), filepath.Join(dir, "collector-b.log")
	a := startCollector(t, config, logA, env("collector-a")...)
	b := startCollector(t, config, logB, env("collector-b")...)
	collectorsStart := time.Now()

	committed := func() (map[int32]int64, int64) {
		offs, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			return nil, 0
		}
		per := map[int32]int64{}
		var sum int64
		for p := range int32(kafkaPartitions) {
			if o, ok := offs.Lookup(rawTopic, p); ok && o.Err == nil && o.At >= 0 {
				per[p] = o.At
				sum += o.At
			}
		}
		return per, sum
	}
	assignment := func() map[string][]int32 {
		described, err := adm.DescribeGroups(ctx, group)
		if err != nil {
			return nil
		}
		g := described[group]
		if g.State != "Stable" {
			return nil
		}
		out := map[string][]int32{}
		for _, m := range g.Members {
			if ca, ok := m.Assigned.AsConsumer(); ok {
				for _, tp := range ca.Topics {
					if tp.Topic == rawTopic {
						out[m.ClientID] = append(out[m.ClientID], tp.Partitions...)
					}
				}
			}
		}
		return out
	}
	alive := func() bool { return a.running() && b.running() }

	// Both members hold partitions, and a third of the input is done.
	var before map[string][]int32
	if !waitFor(90*time.Second, 200*time.Millisecond, func() bool {
		before = assignment()
		_, sum := committed()
		return !alive() || (len(before["collector-a"]) > 0 && len(before["collector-b"]) > 0 && sum >= kafkaEvents/3)
	}) || !alive() {
		_, sum := committed()
		t.Fatalf("no progress to a third of the input with both collectors (committed %d, assignment %v, alive %v):\n%s\n%s",
			sum, before, alive(), logTail(logA), logTail(logB))
	}
	atKill, sumAtKill := committed()
	killedParts := slices.Clone(before["collector-a"])
	a.kill()
	killedAt := time.Now()
	t.Logf("%.1f s after the collectors started, %d of %d committed: kill -9 collector-a, which held partitions %v",
		killedAt.Sub(collectorsStart).Seconds(), sumAtKill, kafkaEvents, killedParts)

	// Takeover: collector-b is assigned the dead member's partitions, then
	// commits past their offsets at the kill.
	var rebalanced, resumed time.Duration
	if !waitFor(60*time.Second, 100*time.Millisecond, func() bool {
		got := assignment()["collector-b"]
		for _, p := range killedParts {
			if !slices.Contains(got, p) {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("collector-b was not assigned %v within 60 s of the kill:\n%s", killedParts, logTail(logB))
	}
	rebalanced = time.Since(killedAt)
	if !waitFor(60*time.Second, 100*time.Millisecond, func() bool {
		now, _ := committed()
		for _, p := range killedParts {
			if now[p] > atKill[p] {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("collector-b did not commit on %v within 60 s of the kill:\n%s", killedParts, logTail(logB))
	}
	resumed = time.Since(killedAt)
	t.Logf("takeover: collector-b assigned %v %.1f s after the kill, committing on them %.1f s after it",
		killedParts, rebalanced.Seconds(), resumed.Seconds())

	// collector-a comes back and takes its share again.
	a2 := startCollector(t, config, logA, env("collector-a")...)
	if !waitFor(150*time.Second, 250*time.Millisecond, func() bool {
		_, sum := committed()
		return sum == kafkaEvents || !b.running() || !a2.running()
	}) {
		_, sum := committed()
		t.Fatalf("after %.0f s, %d of %d committed:\n%s\n%s", time.Since(collectorsStart).Seconds(), sum, kafkaEvents, logTail(logA), logTail(logB))
	}
	if !b.running() || !a2.running() {
		t.Fatalf("a collector exited (a: %v, b: %v):\n%s\n%s", a2.err, b.err, logTail(logA), logTail(logB))
	}
	final := assignment()
	processed := time.Since(collectorsStart)
	a2.stop(t)
	b.stop(t)
	t.Logf("all %d committed %.1f s after the collectors started; assignment at the end %v", kafkaEvents, processed.Seconds(), final)

	// Read back every topic the collectors wrote.
	routes := map[string]bool{}
	for _, r := range tr.Routes() {
		routes[r] = true
	}
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var outTopics []string
	for _, name := range topics.Names() {
		switch {
		case name == rawTopic:
		case name == "kp-dead-letter", strings.HasPrefix(name, "kp-") && routes[strings.TrimPrefix(name, "kp-")]:
			outTopics = append(outTopics, name)
		default:
			t.Errorf("unexpected topic %s", name)
		}
	}
	sort.Strings(outTopics)
	records := consumeAll(t, ctx, brokers, adm, outTopics)

	seen := make([]int, len(inputs))
	var dupIDs []int
	gotReasons := map[string]int{}
	var deadStrings bytes.Buffer
	perTopic := map[string]int{}
	for _, r := range records {
		perTopic[r.Topic]++
		if r.Topic == "kp-dead-letter" {
			var dl map[string]any
			if err := json.Unmarshal(r.Value, &dl); err != nil || len(dl) != 2 {
				t.Errorf("a dead letter is not {\"error\",\"message\"}: %d bytes", len(r.Value))
				continue
			}
			code, _ := dl["error"].(string)
			msg, _ := dl["message"].(string)
			gotReasons[code+": "+msg]++
			deadStrings.WriteString(code + "\x00" + msg + "\x00")
			continue
		}
		route := strings.TrimPrefix(r.Topic, "kp-")
		id, ok := eventID(r.Value)
		if !ok || id >= len(inputs) || inputs[id].route == "" {
			t.Errorf("%s holds an event that is not one of the input's (%d bytes)", r.Topic, len(r.Value))
			continue
		}
		in := inputs[id]
		if in.route != route {
			t.Errorf("%s holds event %d of route %s", r.Topic, id, in.route)
		}
		if hashOf(r.Value) != in.hash {
			t.Errorf("%s: event %d is not what the library makes of it", r.Topic, id)
		}
		seen[id]++
		if seen[id] == 2 {
			dupIDs = append(dupIDs, id)
		}
	}
	lost := 0
	for id, in := range inputs {
		if in.route != "" && seen[id] == 0 {
			if lost < 5 {
				t.Errorf("event %d (route %s, partition %d) is in no route topic", id, in.route, in.partition)
			}
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d accepted events lost", lost)
	}
	deadDup := 0
	for reason, n := range wantReasons {
		if gotReasons[reason] < n {
			t.Errorf("kp-dead-letter holds %q %d times, %d rejected lines have it", reason, gotReasons[reason], n)
		}
		deadDup += gotReasons[reason] - n
	}
	for reason := range gotReasons {
		if wantReasons[reason] == 0 {
			t.Errorf("kp-dead-letter holds a reason no input line has: %q", reason)
		}
	}
	noRunOf(t, "the dead letters", deadStrings.Bytes(), rejected)
	for _, l := range []string{logA, logB} {
		data, _ := os.ReadFile(l)
		noRunOf(t, "the collector log "+filepath.Base(l), withoutClockTimes(data), rejected)
	}

	// The duplicates at-least-once delivery made.
	byPart := map[int32]int{}
	for _, id := range dupIDs {
		byPart[inputs[id].partition]++
	}
	sort.Ints(dupIDs)
	show := dupIDs[:min(10, len(dupIDs))]
	t.Logf("records per topic: %v", perTopic)
	t.Logf("duplicates: %d events delivered more than once (by input partition %v; ids %v...), %d extra dead letters; lost: %d",
		len(dupIDs), byPart, show, deadDup, lost)
	t.Logf("takeover %.1f s (assignment) / %.1f s (first commit); whole test %.0f s",
		rebalanced.Seconds(), resumed.Seconds(), time.Since(testStart).Seconds())
}

// consumeAll reads every record of topics from the start to their end
// offsets as they are now.
func consumeAll(t *testing.T, ctx context.Context, brokers string, adm *kadm.Client, topics []string) []*kgo.Record {
	t.Helper()
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		t.Fatal(err)
	}
	remaining := map[string]map[int32]int64{}
	left := int64(0)
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			if remaining[o.Topic] == nil {
				remaining[o.Topic] = map[int32]int64{}
			}
			remaining[o.Topic][o.Partition] = o.Offset
			left += o.Offset
		}
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxBytes(64<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for left > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("reading the output topics: %v with %d records left", err, left)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("reading %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset < remaining[r.Topic][r.Partition] {
				out = append(out, r)
				left--
			}
		})
	}
	return out
}
