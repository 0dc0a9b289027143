package benthos

import (
	"strings"

	"github.com/redpanda-data/benthos/v4/public/service"
)

const (
	fieldConfig     = "config"
	fieldConfigFile = "config_file"

	// Metadata set on every message the processor handles.
	MetaRoute    = "kpaudit_route"
	MetaSeverity = "kpaudit_severity"
	MetaRedacted = "kpaudit_redacted"
	MetaError    = "kpaudit_error"
)

// description is written with ' for the backquotes of its Markdown, which
// a Go raw string cannot hold.
const description = `
Each message is one event (a JSON object). A transformed message has its
content replaced by the transformed event and the metadata 'kpaudit_route',
'kpaudit_severity' and 'kpaudit_redacted'.

A rejected message (invalid JSON, not an object, too large, invalid UTF-8)
keeps none of its bytes, which may hold key material: its content becomes
'{"error":"<code>","message":"<message>","bytes":<length>}', the metadata
'kpaudit_error' holds the code, and the message is marked as errored, so that
'errored()' routes it to a dead-letter output. The library's messages say what
was wrong and at which byte offset, never quoting the event.`

func spec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Summary("Transforms IBM Cloud Key Protect activity-tracking events with libkpaudit: sets severity, strips key material, names the route.").
		Description(strings.ReplaceAll(description, "'", "`")).
		Fields(
			service.NewAnyField(fieldConfig).
				Description("The kpaudit configuration inline: a YAML object with the keys of the library's JSON configuration, or a string holding that JSON.").
				Example(map[string]any{"route": map[string]any{"regions": map[string]any{"eu-es": "eu-de"}}}).
				Optional(),
			service.NewStringField(fieldConfigFile).
				Description("A file holding the kpaudit configuration as JSON. Not together with `config`; with neither, the built-in Key Protect defaults apply.").
				Default(""),
		)
}
