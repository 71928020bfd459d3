package klaviyo

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/cohortd/cohortd/internal/logging"
)

// Delete asks Klaviyo to erase every profile with this address for good (POST
// /api/data-privacy-deletion-jobs; Klaviyo deletes asynchronously and lists the profile on
// its Deleted Profiles page). An address Klaviyo does not have is not an error.
func (c *Client) Delete(ctx context.Context, address string) error {
	address = strings.TrimSpace(address)
	if address == "" {
		return fmt.Errorf("klaviyo: delete: empty address")
	}
	body := map[string]any{"data": map[string]any{
		"type": "data-privacy-deletion-job",
		"attributes": map[string]any{"profile": map[string]any{"data": map[string]any{
			"type":       "profile",
			"attributes": map[string]any{"email": address},
		}}},
	}}
	err := c.do(ctx, request{op: opDeleteProfile, method: http.MethodPost, path: "/api/data-privacy-deletion-jobs", body: body}, nil)
	if statusOf(err) == http.StatusNotFound {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("klaviyo: delete %s: %w", logging.MaskEmail(address), classify(err))
	}
	c.log.Info().Str("email", logging.MaskEmail(address)).Msg("requested data-privacy deletion")
	return nil
}
