package listmonk

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cohortd/cohortd/internal/logging"
)

// Delete erases the subscriber with this address (DELETE /api/subscribers/{id}: the
// subscriber, its subscriptions and its campaign views and clicks go). It always reads the
// address first rather than trusting a cached id: an id whose address was edited in
// listmonk must not be erased in someone else's name. An unknown address is not an error.
func (c *Client) Delete(ctx context.Context, address string) error {
	if err := validAddress(address); err != nil {
		return err
	}
	addr := normAddress(address)
	sub, err := c.lookupOne(ctx, addr)
	if err != nil {
		return fmt.Errorf("listmonk: delete %s: %w", logging.MaskEmail(addr), err)
	}
	if sub == nil {
		return nil
	}
	if err := c.do(ctx, "DELETE", "/api/subscribers/"+strconv.Itoa(sub.ID), nil, nil, nil); err != nil && !isStatus(err, 404) {
		return fmt.Errorf("listmonk: delete %s: %w", logging.MaskEmail(addr), err)
	}
	c.log.Info().Int("subscriber_id", sub.ID).Str("email", logging.MaskEmail(addr)).Msg("deleted subscriber")
	return nil
}
