// Command bench is go/otelcol/bench.sh's driver: it runs the built
// kpaudit-otelcol on pipeline variants over the same events, in interleaved
// rounds, and prints the medians. It is a benchmark, not a test.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

var (
	bin      = flag.String("bin", "", "the kpaudit-otelcol binary")
	events   = flag.String("events", "", "NDJSON file of events")
	rounds   = flag.Int("rounds", 5, "interleaved rounds")
	kafka    = flag.Bool("kafka", true, "also the Kafka pipelines (starts a broker)")
	kafkaDir = flag.String("kafka-dir", "", "start-kafka.sh's directory (jars are kept there)")
	scripts  = flag.String("scripts", "", "directory holding start-kafka.sh and stop-kafka.sh")
	work     = flag.String("work", "", "scratch directory")
	timeout  = flag.Duration("timeout", 10*time.Minute, "the longest one run may take")
)

// A run's measurements: wall time from the first record the receiver
// accepted to the last the exporter sent, and the collector's CPU time
// (user+sys) over the same window.
type result struct {
	wall, cpu time.Duration
}

type variant struct {
	name, config string
}

func main() {
	log.SetFlags(0)
	flag.Parse()
	if *bin == "" || *events == "" || *work == "" {
		log.Fatal("bench: -bin, -events and -work are required")
	}
	data, err := os.ReadFile(*events)
	if err != nil {
		log.Fatal(err)
	}
	n := bytes.Count(data, []byte("\n"))
	size := len(data)
	fmt.Printf("events: %s, %d events, %.1f MiB\n", *events, n, float64(size)/(1<<20))

	fileVariants := []variant{
		{"filelog -> kpaudit -> file", fileKpaudit},
		{"filelog -> file (no processor)", fileNone},
		{"filelog -> transform+redaction -> file (OTel-native peer)", filePeer},
		{"filelog -> kpaudit (async) -> file", fileKpauditAsync},
	}
	fileResults := runRounds(fileVariants, func(v variant, round int) result {
		return runFile(v, round, n)
	})

	var kafkaVariants []variant
	var kafkaResults map[string][]result
	if *kafka {
		kafkaVariants = []variant{
			{"kafka -> kpaudit -> kafka", kafkaKpaudit},
			{"kafka -> kafka (pass-through)", kafkaPass},
		}
		brokers, stop := startKafka()
		func() {
			defer stop()
			produce(brokers, data)
			kafkaResults = runRounds(kafkaVariants, func(v variant, round int) result {
				return runKafka(v, round, n, brokers)
			})
		}()
	}

	fmt.Printf("\n%s\n", method)
	fmt.Printf("\n| pipeline | median s | MB/s | events/s | CPU s (user+sys) | vs baseline | runs (s) |\n|---|---:|---:|---:|---:|---:|---|\n")
	table(fileVariants, fileResults, fileVariants[1].name, n, size)
	if *kafka {
		table(kafkaVariants, kafkaResults, kafkaVariants[1].name, n, size)
	}
	kp, none, peer := median(fileResults[fileVariants[0].name]), median(fileResults[fileVariants[1].name]), median(fileResults[fileVariants[2].name])
	ka := median(fileResults[fileVariants[3].name])
	paired := func(v variant) string {
		return fmt.Sprintf("paired per round (median of the rounds' ratios, which cancels the machine's drift between rounds): %.0f%% of no-processor throughput, %.0f%% of its CPU; %.2fx the peer",
			100*pairedRatio(fileResults[fileVariants[1].name], fileResults[v.name], false),
			100*pairedRatio(fileResults[v.name], fileResults[fileVariants[1].name], true),
			pairedRatio(fileResults[fileVariants[2].name], fileResults[v.name], false))
	}
	fmt.Printf("\nkpaudit file pipeline with async (as examples/files.yaml runs it): %.0f%% of no-processor throughput (target >= 90%%), %.2fx the OTel-native peer (target >= 3x)\n  %s\n",
		100*none.wall.Seconds()/ka.wall.Seconds(), peer.wall.Seconds()/ka.wall.Seconds(), paired(fileVariants[3]))
	fmt.Printf("kpaudit file pipeline, synchronous (the default): %.0f%% of no-processor throughput, %.2fx the OTel-native peer\n  %s\n",
		100*none.wall.Seconds()/kp.wall.Seconds(), peer.wall.Seconds()/kp.wall.Seconds(), paired(fileVariants[0]))
	if *kafka {
		k, p := median(kafkaResults[kafkaVariants[0].name]), median(kafkaResults[kafkaVariants[1].name])
		fmt.Printf("kpaudit Kafka pipeline: %.0f%% of pass-through throughput (target >= 80%%)\n", 100*p.wall.Seconds()/k.wall.Seconds())
	}
}

const method = `Method: one kpaudit-otelcol binary (go/otelcol/build.sh), one events file, every
variant started fresh as its own collector process per run. Rounds are
interleaved (round r runs the variants in an order rotated by r), and the
table gives per variant the median over the rounds. A run's time is the
window from the first log record the receiver accepted to the moment the
exporter had sent as many records as the file has lines, read from the
Collector's own metrics (otelcol_receiver_accepted_log_records,
otelcol_exporter_sent_log_records) polled every 20 ms; start-up and
shutdown are outside it. CPU is the collector process's user+sys time over
the same window (/proc). MB/s is input bytes per second of that window.
Files: filelog reads the file from the start (its lines a whole number of
filelog's 100-line batches, so that no partial batch waits for its 100 ms
flush timer), the file exporter writes OTLP JSON; kpaudit runs with group_by_route, synchronously (the default) and
with async (its goroutine transforms and exports beside filelog's).
Kafka: the events are in a 4-partition topic first; each run is a new
consumer group reading it from the earliest offset, with examples/kafka.yaml's
settings (offsets marked after the exporter's synchronous produce, no queue),
writing to topics of its own created beforehand.`

func runRounds(vs []variant, run func(variant, int) result) map[string][]result {
	out := map[string][]result{}
	for r := range *rounds {
		for i := range vs {
			v := vs[(i+r)%len(vs)]
			res := run(v, r)
			fmt.Printf("round %d  %-58s %7.2f s  cpu %7.2f s\n", r+1, v.name, res.wall.Seconds(), res.cpu.Seconds())
			out[v.name] = append(out[v.name], res)
		}
	}
	return out
}

// pairedRatio is the median over rounds of a[r]/b[r], wall times (or CPU
// times with cpu set) of the same round.
func pairedRatio(a, b []result, cpu bool) float64 {
	var ratios []float64
	for r := range min(len(a), len(b)) {
		x, y := a[r].wall, b[r].wall
		if cpu {
			x, y = a[r].cpu, b[r].cpu
		}
		ratios = append(ratios, x.Seconds()/y.Seconds())
	}
	sort.Float64s(ratios)
	if len(ratios) == 0 {
		return 0
	}
	if len(ratios)%2 == 1 {
		return ratios[len(ratios)/2]
	}
	return (ratios[len(ratios)/2-1] + ratios[len(ratios)/2]) / 2
}

func median(rs []result) result {
	w := make([]time.Duration, len(rs))
	c := make([]time.Duration, len(rs))
	for i, r := range rs {
		w[i], c[i] = r.wall, r.cpu
	}
	sort.Slice(w, func(i, j int) bool { return w[i] < w[j] })
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	mid := func(d []time.Duration) time.Duration {
		if len(d)%2 == 1 {
			return d[len(d)/2]
		}
		return (d[len(d)/2-1] + d[len(d)/2]) / 2
	}
	return result{mid(w), mid(c)}
}

func table(vs []variant, res map[string][]result, baseline string, n, size int) {
	base := median(res[baseline])
	for _, v := range vs {
		m := median(res[v.name])
		var runs []string
		for _, r := range res[v.name] {
			runs = append(runs, fmt.Sprintf("%.2f", r.wall.Seconds()))
		}
		fmt.Printf("| %s | %.2f | %.1f | %.0f | %.2f | %.2f | %s |\n", v.name, m.wall.Seconds(),
			float64(size)/1e6/m.wall.Seconds(), float64(n)/m.wall.Seconds(), m.cpu.Seconds(),
			base.wall.Seconds()/m.wall.Seconds(), strings.Join(runs, " "))
	}
}

// runFile runs a file variant once.
func runFile(v variant, round, n int) result {
	dir := filepath.Join(*work, fmt.Sprintf("file-%d-%d", round, time.Now().UnixNano()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	return measure(v, dir, n, map[string]string{"Input": *events, "Out": dir})
}

// runKafka runs a Kafka variant once, with a consumer group and output
// topics of its own.
func runKafka(v variant, round, n int, brokers string) result {
	id := fmt.Sprintf("bench%d-%d", round, time.Now().UnixNano()%1e6)
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers))
	if err != nil {
		log.Fatal(err)
	}
	adm := kadm.NewClient(cl)
	topics := []string{id + "-pass", id + "-dead-letter", id + "-unmatched"}
	for _, r := range regions {
		topics = append(topics, id+"-"+r)
	}
	if _, err := adm.CreateTopics(context.Background(), 1, 1, nil, topics...); err != nil {
		log.Fatal(err)
	}
	cl.Close()
	dir := filepath.Join(*work, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	return measure(v, dir, n, map[string]string{"Brokers": brokers, "Group": id, "Prefix": id + "-"})
}

var regions = []string{"us-south", "us-east", "eu-gb", "eu-de", "au-syd", "jp-tok", "jp-osa", "ca-tor", "br-sao", "eu-es", "ca-mon", "in-che", "in-mum"}

// measure starts the collector on the variant's configuration and times it
// through its own metrics.
func measure(v variant, dir string, n int, vars map[string]string) result {
	port := freePort()
	vars["MetricsPort"] = strconv.Itoa(port)
	cfgPath := filepath.Join(dir, "config.yaml")
	var cfg bytes.Buffer
	if err := template.Must(template.New("cfg").Parse(v.config)).Execute(&cfg, vars); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, cfg.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "collector.log"))
	if err != nil {
		log.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(*bin, "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()

	deadline := time.Now().Add(*timeout)
	var t0 time.Time
	var cpu0 time.Duration
	for {
		select {
		case <-exited:
			log.Fatalf("%s: the collector exited; log in %s:\n%s", v.name, dir, tail(filepath.Join(dir, "collector.log")))
		default:
		}
		if time.Now().After(deadline) {
			log.Fatalf("%s: not done within %s", v.name, *timeout)
		}
		accepted, sent, ok := scrape(port)
		now := time.Now()
		if ok && accepted > 0 && t0.IsZero() {
			t0, cpu0 = now, cpuTime(cmd.Process.Pid)
		}
		if ok && sent >= float64(n) {
			return result{wall: now.Sub(t0), cpu: cpuTime(cmd.Process.Pid) - cpu0}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// scrape reads the receiver's accepted and the exporter's sent records.
func scrape(port int) (accepted, sent float64, ok bool) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		return 0, 0, false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, 0, false
	}
	for _, line := range strings.Split(string(body), "\n") {
		var target *float64
		switch {
		case strings.HasPrefix(line, "otelcol_receiver_accepted_log_records"):
			target = &accepted
		case strings.HasPrefix(line, "otelcol_exporter_sent_log_records"):
			target = &sent
		default:
			continue
		}
		if v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64); err == nil {
			*target += v
		}
	}
	return accepted, sent, true
}

// cpuTime is a process's user+sys time from /proc/PID/stat.
func cpuTime(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func tail(path string) string {
	data, _ := os.ReadFile(path)
	if len(data) > 3000 {
		data = data[len(data)-3000:]
	}
	return string(data)
}

// startKafka starts a broker with testdata/kafka/start-kafka.sh.
func startKafka() (string, func()) {
	var port int
	for {
		port = freePort()
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+1)); err == nil {
			l.Close()
			break
		}
	}
	cmd := exec.Command("bash", filepath.Join(*scripts, "start-kafka.sh"), *kafkaDir, strconv.Itoa(port))
	cmd.Stderr = os.Stderr
	if _, err := cmd.Output(); err != nil {
		log.Fatalf("start-kafka.sh: %v", err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port), func() {
		stop := exec.Command("bash", filepath.Join(*scripts, "stop-kafka.sh"), *kafkaDir)
		stop.Stderr = os.Stderr
		_ = stop.Run()
	}
}

// produce writes the events to the 4 partitions of kp-raw.
func produce(brokers string, data []byte) {
	ctx := context.Background()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()),
		kgo.ProducerBatchMaxBytes(4<<20), kgo.MaxBufferedRecords(20000))
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopics(ctx, 4, 1, nil, "kp-raw"); err != nil {
		log.Fatal(err)
	}
	var recs []*kgo.Record
	flush := func() {
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			log.Fatal(err)
		}
		recs = recs[:0]
	}
	for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		recs = append(recs, &kgo.Record{Topic: "kp-raw", Value: line})
		if len(recs) == 5000 {
			flush()
		}
	}
	flush()
}

// The pipelines. Each has the Collector's metrics on a port of its own.
const telemetry = `
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: {{.MetricsPort}}`

const fileHead = `
receivers:
  filelog:
    include: ["{{.Input}}"]
    start_at: beginning
exporters:
  file:
    path: {{.Out}}/out.json
`

// fileKpauditWith is the kpaudit file pipeline, with more of the
// processor's settings (YAML lines indented under kpaudit).
func fileKpauditWith(settings string) string {
	return fileHead + `
processors:
  kpaudit:
    group_by_route:
      enabled: true` + settings + `
service:` + telemetry + `
  pipelines:
    logs:
      receivers: [filelog]
      processors: [kpaudit]
      exporters: [file]
`
}

var fileKpaudit = fileKpauditWith("")

// fileKpauditAsync has the processor's async mode: kpaudit and the
// exporter on the processor's goroutine, beside filelog's.
var fileKpauditAsync = fileKpauditWith(`
    async:
      enabled: true`)

var fileNone = fileHead + `
service:` + telemetry + `
  pipelines:
    logs:
      receivers: [filelog]
      exporters: [file]
`

// filePeer is the same job built from contrib processors, as a user would
// write it without kpaudit: see the README for what it does differently.
var filePeer = fileHead + `
processors:
  transform/kp:
    error_mode: ignore
    log_statements:
      - context: log
        statements:
          - set(body, ParseJSON(body)) where IsString(body)
          - set(cache["crn"], body["logSourceCRN"]) where IsMap(body)
          - set(cache["crn"], body["target"]["id"]) where IsMap(body) and cache["crn"] == nil
          - set(cache["loc"], Split(cache["crn"], ":")[5]) where IsString(cache["crn"])
          - set(cache["loc"], ExtractPatterns(body["requestData"]["requestURI"], "^https?://(?:private\\.)?(?P<r>[a-z]+-[a-z]+)\\.kms\\.")["r"]) where cache["loc"] == nil and IsMap(body)
          - replace_pattern(cache["loc"], "^([a-z]+-[a-z]+)-[0-9]+$", "$$1")
          - set(attributes["kpaudit.route"], cache["loc"]) where IsMatch(cache["loc"], "^(us-south|us-east|eu-gb|eu-de|au-syd|jp-tok|jp-osa|ca-tor|br-sao|eu-es|ca-mon|in-che|in-mum)$")
          - set(attributes["kpaudit.route"], "unmatched") where attributes["kpaudit.route"] == nil
          - set(cache["sev"], 0)
          - set(cache["sev"], 1) where IsMatch(body["action"], "^kms\\.(secrets\\.(rotate|restore|enable|disable|setkeyfordeletion|unsetkeyfordeletion)|policies\\.write|instancepolicies\\.write)$")
          - set(cache["sev"], 2) where body["action"] == "kms.secrets.delete" or body["action"] == "kms.registrations.delete"
          - set(cache["sev"], 2) where IsMatch(String(body["reason"]["reasonCode"]), "^0*(401|403|503|507)$")
          - set(cache["sev"], 1) where cache["sev"] < 1 and IsMatch(String(body["reason"]["reasonCode"]), "^0*(400|409|424|502|504|505)$")
          - set(body["severity"], "normal") where IsMap(body) and cache["sev"] == 0
          - set(body["severity"], "warning") where IsMap(body) and cache["sev"] == 1
          - set(body["severity"], "critical") where IsMap(body) and cache["sev"] == 2
          - set(severity_number, SEVERITY_NUMBER_INFO) where cache["sev"] == 0
          - set(severity_number, SEVERITY_NUMBER_WARN) where cache["sev"] == 1
          - set(severity_number, SEVERITY_NUMBER_ERROR) where cache["sev"] == 2
  redaction/kp:
    allow_all_keys: true
    blocked_key_patterns: ["(?i)^(payload|encryptednonce|iv|plaintext|ciphertext|aad|nonce|authorization)$"]
    summary: silent
  transform/serialize:
    error_mode: ignore
    log_statements:
      - context: log
        statements:
          - set(body, String(body)) where IsMap(body)
service:` + telemetry + `
  pipelines:
    logs:
      receivers: [filelog]
      processors: [transform/kp, redaction/kp, transform/serialize]
      exporters: [file]
`

// The Kafka pipelines have examples/kafka.yaml's delivery settings.
const kafkaReceiver = `
receivers:
  kafka:
    brokers: ["{{.Brokers}}"]
    group_id: {{.Group}}
    initial_offset: earliest
    logs:
      topics: [kp-raw]
      encoding: raw
    message_marking: { after: true, on_error: false, on_permanent_error: false }
    autocommit: { enable: true, interval: 1s }
    session_timeout: 6s
    heartbeat_interval: 1s
    group_rebalance_strategy: cooperative-sticky
    max_partition_fetch_size: 262144
`

const kafkaExporterCommon = `
    brokers: ["{{.Brokers}}"]
    producer: { required_acks: -1, linger: 0s }
    sending_queue: { enabled: false }
    retry_on_failure: { enabled: true, max_elapsed_time: 0s }
`

var kafkaKpaudit = kafkaReceiver + `
processors:
  kpaudit:
    group_by_route: { enabled: true, resource_attribute: kafka.topic, prefix: "{{.Prefix}}" }
exporters:
  kafka:` + kafkaExporterCommon + `
    topic_from_attribute: kafka.topic
    partition_logs_by_resource_attributes: true
    logs: { topic: "{{.Prefix}}unrouted", encoding: raw }
service:` + telemetry + `
  pipelines:
    logs:
      receivers: [kafka]
      processors: [kpaudit]
      exporters: [kafka]
`

var kafkaPass = kafkaReceiver + `
exporters:
  kafka:` + kafkaExporterCommon + `
    logs: { topic: "{{.Prefix}}pass", encoding: raw }
service:` + telemetry + `
  pipelines:
    logs:
      receivers: [kafka]
      exporters: [kafka]
`
