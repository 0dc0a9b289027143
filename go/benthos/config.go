package benthos

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// configJSON is the library configuration the processor's fields give:
// nil (the built-in defaults) when both are empty; and where it came from,
// for messages (`config_file /etc/kpaudit.json`, `config`).
func configJSON(conf *service.ParsedConfig) (data []byte, source string, err error) {
	path, err := conf.FieldString(fieldConfigFile)
	if err != nil {
		return nil, "", err
	}
	if !conf.Contains(fieldConfig) {
		if path == "" {
			return nil, "built-in defaults", nil
		}
		source = fieldConfigFile + " " + path
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, source, fmt.Errorf("%s: %w", fieldConfigFile, err)
		}
		return data, source, nil
	}
	if path != "" {
		return nil, "", errors.New("set one of config and config_file, not both")
	}
	inline, err := conf.FieldAny(fieldConfig)
	if err != nil {
		return nil, fieldConfig, err
	}
	switch v := inline.(type) {
	case nil:
		return nil, fieldConfig, nil
	case string:
		return []byte(v), fieldConfig, nil
	default:
		data, err := json.Marshal(v)
		if err != nil {
			return nil, fieldConfig, fmt.Errorf("%s: %w", fieldConfig, err)
		}
		return data, fieldConfig, nil
	}
}
