-- RFM (recency, frequency, monetary) per customer of the UCI "Online Retail" CSV, in DuckDB
-- SQL. It is written from the documented behaviour of cohortd's import of
-- examples/online-retail.yaml (connectors/csvfile.ReadOrders, the importer's joining of split
-- orders in sync/ingest, profiles.summarize and isPurchase) and shares no code with it. It is
-- the reference that cohortd's RFM is checked against (testdata/segments/online_retail_head_rfm.csv).
--
-- Inputs are session variables (SET VARIABLE name = value; rfm.mjs sets them):
--   csv_path  the CSV, plain or gzipped, with the columns InvoiceNo, StockCode, Description,
--             Quantity, InvoiceDate, UnitPrice, CustomerID, Country
--   as_of     the time recency is measured at: 'YYYY-MM-DD HH:MM:SS' is a wall-clock time in
--             tz; with a trailing Z or +hh:mm offset it is that instant
--   tz        the IANA zone of the InvoiceDate wall-clock times. cohortd reads them in the
--             config's timezone, which is Europe/London for examples/online-retail.yaml: UTC in
--             winter and UTC+1 (BST) from the last Sunday of March to the last Sunday of
--             October
--
-- Output: one row per customer id that has at least one order record (cohortd makes one
-- profile, retail/customer/<CustomerID>, for each), ordered by customer_id as a string:
--   customer_id   CustomerID as written, without surrounding spaces or leading apostrophes
--   frequency     purchase orders: invoices not starting with "C" that bought something, i.e.
--                 a positive total, or a line with quantity > 0 and unit price > 0
--   monetary      the sum of those invoices' totals. A total is sum(Quantity * UnitPrice) over
--                 all the invoice's kept lines, negative quantities included. It is an exact
--                 decimal, and 0 without purchases.
--   recency_days  calendar days in tz from the last purchase to as_of (midnights passed); NULL
--                 without purchases
--   last_order    the instant of the last purchase (TIMESTAMPTZ); NULL without purchases
--
-- cohortd reads the file in order. Rows form an order while the invoice number stays the same.
-- A row without CustomerID belongs to the order only after a row with one. Because of this,
-- every row gets its position in the file. This relies on DuckDB keeping the reader's row
-- order for row_number() OVER () (preserve_insertion_order, on by default). It was checked on
-- the full UCI file: the row sequence matched a line-by-line read of the file.

WITH
params AS (
    SELECT
        CASE
            WHEN regexp_matches(getvariable('as_of'), '[T ][0-9:.]+(Z|[+-][0-9]{2}(:?[0-9]{2})?)$')
                THEN CAST(getvariable('as_of') AS TIMESTAMPTZ)
            ELSE timezone(getvariable('tz'), CAST(getvariable('as_of') AS TIMESTAMP))
        END AS as_of
),

-- The well-formed CSV rows, as text. cohortd treats a row that is not valid CSV, or that has
-- more or fewer fields than the header, as a bad row that contributes nothing.
-- ignore_errors drops such a row here, and store_rejects records it (rfm.mjs counts these).
src AS (
    SELECT *
    FROM read_csv(getvariable('csv_path'),
        header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
        ignore_errors = true, store_rejects = true,
        columns = {'InvoiceNo': 'VARCHAR', 'StockCode': 'VARCHAR', 'Description': 'VARCHAR',
                   'Quantity': 'VARCHAR', 'InvoiceDate': 'VARCHAR', 'UnitPrice': 'VARCHAR',
                   'CustomerID': 'VARCHAR', 'Country': 'VARCHAR'})
),

-- Fields are trimmed of surrounding spaces, and a missing field becomes ''. Leading
-- apostrophes, which spreadsheets add, are dropped from the customer id. cohortd's Go trims
-- all white space (strings.TrimSpace), while DuckDB's trim() leaves tabs and line breaks. No
-- field of the UCI file has surrounding white space of any kind, so this makes no difference.
-- A row without an invoice number is bad and is dropped. It does not end the invoice being
-- read, so pos, the position in the file, numbers only the rows that remain.
fields AS (
    SELECT
        row_number() OVER () AS pos,
        trim(InvoiceNo) AS invoice,
        ltrim(coalesce(trim(CustomerID), ''), '''') AS customer,
        coalesce(trim(InvoiceDate), '') AS date_s,
        coalesce(trim(Quantity), '') AS qty_s,
        coalesce(trim(UnitPrice), '') AS price_s,
        -- a row is an order line when any of these is filled
        coalesce(trim(Quantity), '') <> '' OR coalesce(trim(UnitPrice), '') <> ''
            OR coalesce(trim(StockCode), '') <> '' OR coalesce(trim(Description), '') <> '' AS is_line
    FROM src
    WHERE coalesce(trim(InvoiceNo), '') <> ''
),

-- Each row is parsed. A row is good when its date has the layout "YYYY-MM-DD HH:MM:SS" and,
-- if the row is a line, its quantity is a whole number within +-1e9 and its unit price a
-- plain decimal: an optional sign, digits and at most one point, with no exponent and no
-- thousands separator. A bad row contributes nothing, but it still counts as a row of its
-- invoice when runs are found.
--
-- A run is a maximal sequence of consecutive rows with the same invoice number, and cohortd
-- reads each run as one order record. The runs are found with the gaps-and-islands method:
-- pos minus the row's rank within its invoice is the same for every row of a run and changes
-- where another invoice came in between.
--
-- Unit prices are DECIMAL(18, 6), which is exact for the file's prices (at most 3 decimals).
-- A price that does not fit stops the query instead of being rounded.
parsed AS (
    SELECT
        invoice, customer, pos, is_line,
        pos - row_number() OVER (PARTITION BY invoice ORDER BY pos) AS run,
        try_strptime(date_s, '%Y-%m-%d %H:%M:%S') AS wall,
        CASE WHEN regexp_full_match(qty_s, '[+-]?0*[0-9]{1,10}') THEN CAST(qty_s AS BIGINT) END AS qty,
        CASE
            WHEN NOT regexp_full_match(price_s, '[+-]?[0-9]*\.?[0-9]*') OR NOT regexp_matches(price_s, '[0-9]')
                THEN NULL
            WHEN regexp_matches(price_s, '\.[0-9]{7}') OR regexp_matches(price_s, '[0-9]{13}')
                THEN error('unit price ' || price_s || ' does not fit DECIMAL(18, 6)')
            ELSE CAST(price_s AS DECIMAL(18, 6))
        END AS price
    FROM fields
),
good AS (
    SELECT *
    FROM parsed
    WHERE wall IS NOT NULL
      AND (NOT is_line OR (qty IS NOT NULL AND abs(qty) <= 1000000000 AND price IS NOT NULL))
),

-- A row without a customer id is skipped unless a good row before it in the same run had
-- one. So a run's order starts at its first good row with a customer id, and a run without
-- such a row makes no order record.
run_start AS (
    SELECT invoice, run, min(pos) AS first_pos
    FROM good
    WHERE customer <> ''
    GROUP BY invoice, run
),

-- Each run becomes one order record. It takes the customer id and date of its first kept
-- row, read as a wall-clock time in tz, and its total is the sum of quantity x unit price
-- over its lines.
runs AS (
    SELECT
        g.invoice,
        s.first_pos,
        arg_min(g.customer, g.pos) AS customer,
        timezone(getvariable('tz'), arg_min(g.wall, g.pos)) AS ordered_at,
        coalesce(sum(g.qty * g.price) FILTER (WHERE g.is_line), 0) AS total,
        coalesce(bool_or(g.is_line AND g.qty > 0 AND g.price > 0), false) AS has_priced_line
    FROM good AS g
    JOIN run_start AS s ON g.invoice = s.invoice AND g.run = s.run AND g.pos >= s.first_pos
    GROUP BY g.invoice, g.run, s.first_pos
),

-- An invoice whose rows come back after other invoices has several runs. The importer joins
-- them into one order: the first run's customer, the earliest date, the totals added and the
-- lines appended. Invoices starting with "C" are cancellations. Any other order is a purchase
-- when it bought something: a positive total, or a line with quantity > 0 and unit price > 0.
-- Other orders are "zero value".
orders AS (
    SELECT
        invoice,
        arg_min(customer, first_pos) AS customer,
        min(ordered_at) AS ordered_at,
        sum(total) AS total,
        NOT starts_with(invoice, 'C') AND (sum(total) > 0 OR bool_or(has_priced_line)) AS is_purchase
    FROM runs
    GROUP BY invoice
)

-- Every customer with an order record gets a row. Only purchases count towards frequency,
-- monetary and recency.
SELECT
    customer AS customer_id,
    count(*) FILTER (WHERE is_purchase) AS frequency,
    coalesce(sum(total) FILTER (WHERE is_purchase), 0) AS monetary,
    -- calendar days in the store's time zone: midnights passed between the last purchase and
    -- as_of (cohortd counts days since an order this way)
    date_diff('day', CAST(timezone(getvariable('tz'), max(ordered_at) FILTER (WHERE is_purchase)) AS DATE),
              CAST(timezone(getvariable('tz'), (SELECT as_of FROM params)) AS DATE)) AS recency_days,
    max(ordered_at) FILTER (WHERE is_purchase) AS last_order
FROM orders
GROUP BY customer
ORDER BY customer_id
