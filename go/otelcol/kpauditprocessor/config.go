package kpauditprocessor

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"go.opentelemetry.io/collector/pdata/plog"

	kpaudit "github.com/kpaudit/kpaudit/go"
)

// Config is the processor's configuration. Unknown keys are refused when
// the Collector reads it, and Validate compiles the kpaudit configuration,
// so a wrong key inside it is refused at start as well.
type Config struct {
	// Config is kpaudit's configuration inline: a YAML object with the
	// JSON configuration's keys, or a string holding the JSON. Neither
	// this nor ConfigFile: the built-in Key Protect defaults.
	Config any `mapstructure:"config"`
	// ConfigFile is a file holding kpaudit's JSON configuration.
	ConfigFile string `mapstructure:"config_file"`

	// RouteAttribute is the log record attribute that receives the route
	// name (default kpaudit.route).
	RouteAttribute string `mapstructure:"route_attribute"`

	// Severity maps kpaudit's severities to the record's severity_number
	// and severity_text: an OpenTelemetry severity name (TRACE ... FATAL4),
	// or "" to leave the record's severity as it was.
	Severity SeverityConfig `mapstructure:"severity"`

	// OnReject is what happens to a record the transform rejects: "keep"
	// (default) replaces its body with {"error","message"}, sets
	// kpaudit.error and the route attribute to RejectRoute; "drop" removes
	// it. Either way the record's original body is not kept anywhere.
	OnReject string `mapstructure:"on_reject"`
	// RejectRoute is the route attribute's value on kept rejects (default
	// dead-letter); it may not be one of the transform's route names.
	RejectRoute string `mapstructure:"reject_route"`

	// GroupByRoute splits the records so that each resource holds the
	// records of one route, and names the route in a resource attribute,
	// for exporters that choose their destination per resource (the Kafka
	// exporter's topic_from_attribute, the routing connector's resource
	// context, the file exporter's group_by).
	GroupByRoute GroupByRouteConfig `mapstructure:"group_by_route"`

	// Async transforms and passes on each batch on a goroutine of the
	// processor's own, so that the receiver goes on reading meanwhile; the
	// receiver is then not told whether a batch was delivered. Off by
	// default; never with a receiver that acknowledges delivered data
	// (the Kafka receiver's offsets).
	Async AsyncConfig `mapstructure:"async"`

	_ struct{}
}

// AsyncConfig is Config.Async.
type AsyncConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// QueueSize is how many batches may wait for the processor's goroutine
	// (default 4); a receiver with a full queue waits.
	QueueSize int `mapstructure:"queue_size"`

	_ struct{}
}

// SeverityConfig names the OpenTelemetry severity of each kpaudit severity.
type SeverityConfig struct {
	Normal   string `mapstructure:"normal"`
	Warning  string `mapstructure:"warning"`
	Critical string `mapstructure:"critical"`

	_ struct{}
}

// GroupByRouteConfig is Config.GroupByRoute.
type GroupByRouteConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// ResourceAttribute is the resource attribute that names the route
	// (default: the route attribute's name).
	ResourceAttribute string `mapstructure:"resource_attribute"`
	// Prefix goes before the route name in the resource attribute: with
	// "kp-" the attribute reads kp-us-south, a Kafka topic name.
	Prefix string `mapstructure:"prefix"`

	_ struct{}
}

const (
	onRejectKeep = "keep"
	onRejectDrop = "drop"

	defaultRouteAttribute = "kpaudit.route"
	defaultRejectRoute    = "dead-letter"
	defaultAsyncQueueSize = 4

	// The attributes the processor writes besides the route.
	attrRedacted = "kpaudit.redacted"
	attrError    = "kpaudit.error"
)

func createDefaultConfig() *Config {
	return &Config{
		RouteAttribute: defaultRouteAttribute,
		Severity: SeverityConfig{
			Normal:   "INFO",
			Warning:  "WARN",
			Critical: "ERROR",
		},
		OnReject:    onRejectKeep,
		RejectRoute: defaultRejectRoute,
		Async:       AsyncConfig{QueueSize: defaultAsyncQueueSize},
	}
}

// severityNumbers are the OpenTelemetry log data model's severity names.
var severityNumbers = map[string]plog.SeverityNumber{
	"TRACE": plog.SeverityNumberTrace, "TRACE2": plog.SeverityNumberTrace2,
	"TRACE3": plog.SeverityNumberTrace3, "TRACE4": plog.SeverityNumberTrace4,
	"DEBUG": plog.SeverityNumberDebug, "DEBUG2": plog.SeverityNumberDebug2,
	"DEBUG3": plog.SeverityNumberDebug3, "DEBUG4": plog.SeverityNumberDebug4,
	"INFO": plog.SeverityNumberInfo, "INFO2": plog.SeverityNumberInfo2,
	"INFO3": plog.SeverityNumberInfo3, "INFO4": plog.SeverityNumberInfo4,
	"WARN": plog.SeverityNumberWarn, "WARN2": plog.SeverityNumberWarn2,
	"WARN3": plog.SeverityNumberWarn3, "WARN4": plog.SeverityNumberWarn4,
	"ERROR": plog.SeverityNumberError, "ERROR2": plog.SeverityNumberError2,
	"ERROR3": plog.SeverityNumberError3, "ERROR4": plog.SeverityNumberError4,
	"FATAL": plog.SeverityNumberFatal, "FATAL2": plog.SeverityNumberFatal2,
	"FATAL3": plog.SeverityNumberFatal3, "FATAL4": plog.SeverityNumberFatal4,
}

// Validate checks the settings and compiles the kpaudit configuration, so
// that `kpaudit-otelcol validate` and start refuse what the transform would.
func (c *Config) Validate() error {
	var errs []error
	if c.RouteAttribute == "" {
		errs = append(errs, errors.New("route_attribute: must not be empty"))
	}
	for name, v := range map[string]string{"normal": c.Severity.Normal, "warning": c.Severity.Warning, "critical": c.Severity.Critical} {
		if _, ok := severityNumbers[v]; v != "" && !ok {
			errs = append(errs, fmt.Errorf("severity.%s: %q is not an OpenTelemetry severity name (TRACE, DEBUG, INFO, WARN, ERROR, FATAL, optionally followed by 2, 3 or 4), nor \"\"", name, v))
		}
	}
	switch c.OnReject {
	case onRejectKeep:
		if c.RejectRoute == "" {
			errs = append(errs, errors.New("reject_route: must not be empty when on_reject is keep"))
		}
	case onRejectDrop:
	default:
		errs = append(errs, fmt.Errorf("on_reject: %q is neither keep nor drop", c.OnReject))
	}
	if c.Async.Enabled && c.Async.QueueSize < 1 {
		errs = append(errs, fmt.Errorf("async.queue_size: %d; must be at least 1", c.Async.QueueSize))
	}
	if c.GroupByRoute.Enabled && c.groupAttribute() == "" {
		errs = append(errs, errors.New("group_by_route.resource_attribute: must not be empty"))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	t, err := c.newTransform()
	if err != nil {
		return err
	}
	defer t.Close()
	if c.OnReject == onRejectKeep && slices.Contains(t.Routes(), c.RejectRoute) {
		return fmt.Errorf("reject_route: %q is also a route of the transform; kept rejects would be mistaken for its events", c.RejectRoute)
	}
	return nil
}

func (c *Config) groupAttribute() string {
	if c.GroupByRoute.ResourceAttribute != "" {
		return c.GroupByRoute.ResourceAttribute
	}
	return c.RouteAttribute
}

// kpauditJSON is the kpaudit configuration as JSON; nil means the defaults.
func (c *Config) kpauditJSON() ([]byte, error) {
	if c.Config != nil && c.ConfigFile != "" {
		return nil, errors.New("config and config_file: give one of them, not both")
	}
	if c.ConfigFile != "" {
		data, err := os.ReadFile(c.ConfigFile)
		if err != nil {
			return nil, fmt.Errorf("config_file: %w", err)
		}
		return data, nil
	}
	switch v := c.Config.(type) {
	case nil:
		return nil, nil
	case string:
		return []byte(v), nil
	case map[string]any:
		data, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("config: cannot be written as JSON: %w", err)
		}
		return data, nil
	default:
		return nil, fmt.Errorf("config: a %T; want an object with kpaudit's configuration keys, or a string holding its JSON", v)
	}
}

func (c *Config) newTransform() (*kpaudit.Transform, error) {
	data, err := c.kpauditJSON()
	if err != nil {
		return nil, err
	}
	t, err := kpaudit.New(data)
	if err != nil {
		where := "config"
		if c.ConfigFile != "" {
			where = "config_file " + c.ConfigFile
		}
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return t, nil
}
