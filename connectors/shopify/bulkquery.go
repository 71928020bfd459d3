package shopify

import (
	"fmt"
	"strconv"
)

// BulkQuery fills a bulk query template (BulkCustomers, BulkOrders) with a search filter
// ("updated_at:>='...'"), or none when filter is empty.
func BulkQuery(template, filter string) string {
	arg := ""
	if filter != "" {
		arg = "(query: " + strconv.Quote(filter) + ")"
	}
	return fmt.Sprintf(template, arg)
}
