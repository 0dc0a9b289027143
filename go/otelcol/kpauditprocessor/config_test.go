package kpauditprocessor

import (
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/confmap/xconfmap"
)

// loadConfig reads the processor's section id of testdata/config.yaml the
// way the Collector does: onto the defaults, unknown keys refused.
func loadConfig(t *testing.T, id string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cm.Sub(component.MustNewIDWithName("kpaudit", strings.TrimPrefix(strings.TrimPrefix(id, "kpaudit"), "/")).String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg, xconfmap.Validate(cfg)
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(t, "kpaudit")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RouteAttribute != "kpaudit.route" || cfg.OnReject != "keep" || cfg.RejectRoute != "dead-letter" ||
		cfg.Severity != (SeverityConfig{Normal: "INFO", Warning: "WARN", Critical: "ERROR"}) ||
		cfg.GroupByRoute.Enabled || cfg.Config != nil || cfg.ConfigFile != "" {
		t.Errorf("defaults: %+v", cfg)
	}
}

func TestConfigFull(t *testing.T) {
	cfg, err := loadConfig(t, "kpaudit/full")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RouteAttribute != "destination" || cfg.OnReject != "drop" || cfg.Severity.Normal != "INFO2" ||
		!cfg.GroupByRoute.Enabled || cfg.GroupByRoute.ResourceAttribute != "kafka.topic" || cfg.GroupByRoute.Prefix != "kp-" {
		t.Errorf("full: %+v", cfg)
	}
	tr, err := cfg.newTransform()
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	r, err := tr.Process([]byte(`{"action":"kms.custom.op","logSourceCRN":"` + crn("us-south") + `"}`))
	if err != nil || r.Route != "at-dallas" || r.Severity.String() != "warning" {
		t.Errorf("the inline config did not reach the transform: %+v %v", r, err)
	}
}

func TestConfigStringAndFile(t *testing.T) {
	cfg, err := loadConfig(t, "kpaudit/json_string")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cfg.newTransform()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Process([]byte(`{"a":"` + strings.Repeat("x", 5000) + `"}`)); err == nil {
		t.Error("max_event_bytes from the JSON string was not applied")
	}
	tr.Close()

	cfg, err = loadConfig(t, "kpaudit/file")
	if err != nil {
		t.Fatal(err)
	}
	tr, err = cfg.newTransform()
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if tr.Routes()[0] != "elsewhere" {
		t.Errorf("config_file not applied: routes %v", tr.Routes())
	}
}

func TestConfigRefused(t *testing.T) {
	cases := map[string]string{
		"kpaudit/unknown_key":        "route_atribute",
		"kpaudit/bad_kpaudit_key":    "route.destinatons",
		"kpaudit/bad_severity":       `severity.critical: "SEVERE"`,
		"kpaudit/bad_on_reject":      `on_reject: "forward"`,
		"kpaudit/both":               "config and config_file",
		"kpaudit/missing_file":       "config_file: open testdata/no-such-file.json",
		"kpaudit/reject_route_taken": `reject_route: "us-south" is also a route`,
		"kpaudit/config_not_object":  "config: a []interface {}",
		"kpaudit/bad_async_queue":    "async.queue_size: 0",
		"kpaudit/unknown_async_key":  "queue",
	}
	for id, want := range cases {
		_, err := loadConfig(t, id)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one that says %q", id, err, want)
		}
	}
	empty := defaultConfig()
	empty.RouteAttribute = ""
	if err := empty.Validate(); err == nil || !strings.Contains(err.Error(), "route_attribute") {
		t.Errorf("empty route_attribute: %v", err)
	}
}
