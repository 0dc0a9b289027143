// kpaudit-benthos is Benthos with the kpaudit processor, the stdlib-only
// components and the file, stdin and stdout inputs and outputs:
//
//	kpaudit-benthos -c pipeline.yaml
package main

import (
	"context"

	_ "github.com/kpaudit/kpaudit/go/benthos"
	_ "github.com/redpanda-data/benthos/v4/public/components/io"
	_ "github.com/redpanda-data/benthos/v4/public/components/pure"
	"github.com/redpanda-data/benthos/v4/public/service"
)

func main() {
	service.RunCLI(context.Background(), service.CLIOptSetBinaryName("kpaudit-benthos"))
}
