package benthos

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// configJSON is the library configuration the processor's fields give:
// nil (the built-in defaults) when both are empty.
func configJSON(conf *service.ParsedConfig) ([]byte, error) {
	path, err := conf.FieldString(fieldConfigFile)
	if err != nil {
		return nil, err
	}
	if !conf.Contains(fieldConfig) {
		if path == "" {
			return nil, nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fieldConfigFile, err)
		}
		return data, nil
	}
	if path != "" {
		return nil, errors.New("set one of config and config_file, not both")
	}
	inline, err := conf.FieldAny(fieldConfig)
	if err != nil {
		return nil, err
	}
	switch v := inline.(type) {
	case nil:
		return nil, nil
	case string:
		return []byte(v), nil
	default:
		data, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		return data, nil
	}
}
