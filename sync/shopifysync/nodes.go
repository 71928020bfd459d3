package shopifysync

import (
	"encoding/json"
	"time"
)

// updatedAt reads a node's updatedAt (zero when absent or malformed: the decoder reports it).
func updatedAt(node json.RawMessage) time.Time {
	var v struct {
		UpdatedAt time.Time `json:"updatedAt"`
	}
	_ = json.Unmarshal(node, &v)
	return v.UpdatedAt
}
