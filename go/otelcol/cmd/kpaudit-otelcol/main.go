// Command kpaudit-otelcol is an OpenTelemetry Collector distribution with
// the kpaudit logs processor, in the shape the Collector builder
// (ocb) generates: main.go runs the collector command, components.go
// lists the components. Build it with go/otelcol/build.sh, which links
// libkpaudit.a statically.
package main

import (
	"log"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/otelcol"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	info := component.BuildInfo{
		Command:     "kpaudit-otelcol",
		Description: "OpenTelemetry Collector with the kpaudit processor for IBM Cloud Key Protect audit events",
		Version:     version,
	}
	set := otelcol.CollectorSettings{
		BuildInfo: info,
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{
					envprovider.NewFactory(),
					fileprovider.NewFactory(),
					yamlprovider.NewFactory(),
				},
				ConverterFactories: []confmap.ConverterFactory{
					confmap.NewConverterFactory(newRawLogGuard),
				},
				DefaultScheme: "env",
			},
		},
	}
	if err := otelcol.NewCommand(set).Execute(); err != nil {
		log.Fatalf("collector server run finished with error: %v", err)
	}
}
