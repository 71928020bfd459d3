-- The textbook RFM of the UCI Online Retail CSV, for timing only: the query most analyses run
-- (keep rows with a customer id, a positive quantity and price, and an invoice that is not a
-- cancellation; group by customer). It does not follow cohortd's import rules (order runs,
-- split invoices, zero-value invoices, customers with only cancellations), so its figures
-- differ slightly from rfm.sql's; scripts/bench-segments times it beside rfm.sql to show what
-- a minimal DuckDB pass over the file costs.
SELECT
    CustomerID AS customer_id,
    count(DISTINCT InvoiceNo) AS frequency,
    sum(Quantity * UnitPrice) AS monetary,
    date_diff('day', CAST(max(InvoiceDate) AS DATE), CAST(CAST(getvariable('as_of') AS TIMESTAMP) AS DATE)) AS recency_days,
    NULL AS last_order
FROM read_csv(getvariable('csv_path'), header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
    ignore_errors = true, store_rejects = true,
    columns = {'InvoiceNo': 'VARCHAR', 'StockCode': 'VARCHAR', 'Description': 'VARCHAR',
               'Quantity': 'BIGINT', 'InvoiceDate': 'TIMESTAMP', 'UnitPrice': 'DECIMAL(18, 3)',
               'CustomerID': 'VARCHAR', 'Country': 'VARCHAR'})
WHERE CustomerID IS NOT NULL AND Quantity > 0 AND UnitPrice > 0 AND NOT starts_with(InvoiceNo, 'C')
GROUP BY CustomerID
