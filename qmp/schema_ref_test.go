package qmp

import (
	"encoding/json"
	"fmt"
)

// parseSchemaRef is ParseSchema as it was before it was rewritten for
// speed: slow (every member is unmarshalled twice) but plainly right, so
// the new parser is checked against it.
func parseSchemaRef(data []byte) (*Schema, error) {
	type refMember struct {
		Name     string          `json:"name"`
		Type     string          `json:"type"`
		Default  json.RawMessage `json:"default"`
		Features []string        `json:"features"`
	}
	var raw []struct {
		Entity
		Members []json.RawMessage `json:"members"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("qmp schema: %w", err)
	}
	s := &Schema{entities: make(map[string]*Entity, len(raw))}
	for i := range raw {
		e := raw[i].Entity
		for _, m := range raw[i].Members {
			var rm refMember
			if err := json.Unmarshal(m, &rm); err != nil {
				return nil, fmt.Errorf("qmp schema: %s: %w", e.Name, err)
			}
			if rm.Type == "" {
				continue
			}
			e.Members = append(e.Members, Member{Name: rm.Name, Type: rm.Type, Optional: rm.Default != nil, Features: rm.Features})
		}
		s.entities[e.Name] = &e
	}
	return s, nil
}
