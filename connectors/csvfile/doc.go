// Package csvfile reads CSV exports into canonical raw records (profiles.CustomerRecord and
// profiles.OrderRecord). It feeds `cohortd import --store NAME FILE...`.
//
// Three formats are understood:
//
//   - FormatShopifyCustomers: Shopify's customer export, in its current layout ("Customer ID",
//     "Accepts Email Marketing", "Default Address ..." columns) and its older one ("Company",
//     "Address1", ..., "Accepts Marketing").
//   - FormatShopifyOrders: Shopify's order export, one row per line item, order-level fields on
//     the order's first row.
//   - FormatOrders: any orders file, one row per order or per line item, described by a Mapping
//     (for example the UCI "Online Retail" data set).
//
// Every reader streams: it holds one order at a time, never the file. A bad row never stops a
// read: it is reported in Report.Bad with its row number (the header is row 1, the first data
// row is row 2; a quoted field spanning several lines still counts as one row, and RowError.Line
// gives the line where the row starts) and the reading goes on. Only an I/O error, a header that
// cannot be used, or an error returned by the callback aborts a read.
//
// Orders are emitted when their last row has been read. Rows of one order are expected to be
// contiguous; when an order id reappears after other orders, its later rows are emitted as a
// second OrderRecord with the same ID. The importer stores records by (store, kind, id), so it
// must merge such records (append their lines, add their totals) rather than let the second
// replace the first.
//
// Strings are passed on raw (only surrounding spaces are trimmed): the profiles package
// normalizes emails, phones, names and countries.
package csvfile
