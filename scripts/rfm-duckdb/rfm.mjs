#!/usr/bin/env node
// rfm.mjs runs rfm.sql (the independent DuckDB RFM of the UCI Online Retail CSV) over a CSV
// and writes customer_id,frequency,monetary,recency_days, sorted by customer id, to a CSV.
//
//   node rfm.mjs INPUT.csv[.gz] ASOF OUTPUT.csv [--tz Europe/London] [--last-order]
//
// ASOF is "YYYY-MM-DD HH:MM:SS" (a wall-clock time in --tz) or an instant with Z or an offset.
// --tz is the zone of the file's InvoiceDate times (default Europe/London, the timezone of
// examples/online-retail.yaml, which is how cohortd reads them). --last-order adds a fifth
// column, the last purchase's instant in UTC (RFC 3339).
//
// It prints the wall time of the whole query (reading the CSV, the RFM, writing the output)
// and a summary line. No extension is installed or loaded at run time: read_csv, gzip and the
// ICU time zones are built into the DuckDB library of @duckdb/node-bindings.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { DuckDBInstance, version } from '@duckdb/node-api';

function usage(msg) {
  if (msg) console.error(`rfm.mjs: ${msg}`);
  console.error('usage: node rfm.mjs INPUT.csv[.gz] ASOF OUTPUT.csv [--tz ZONE] [--last-order] [--sql FILE (default rfm.sql)]');
  process.exit(2);
}

const positional = [];
let tz = 'Europe/London';
let lastOrder = false;
let sqlFile = 'rfm.sql';
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--tz') {
    if (i + 1 >= argv.length) usage('--tz needs a zone');
    tz = argv[++i];
  } else if (a.startsWith('--tz=')) {
    tz = a.slice(5);
  } else if (a === '--sql') {
    if (i + 1 >= argv.length) usage('--sql needs a file');
    sqlFile = argv[++i];
  } else if (a === '--last-order') {
    lastOrder = true;
  } else if (a === '-h' || a === '--help') {
    usage();
  } else if (a.startsWith('--')) {
    usage(`unknown option ${a}`);
  } else {
    positional.push(a);
  }
}
if (positional.length !== 3) usage('need INPUT, ASOF and OUTPUT');
const [input, asof, output] = positional;

const here = dirname(fileURLToPath(import.meta.url));
const rfmSQL = readFileSync(resolve(here, sqlFile), 'utf8').trim().replace(/;\s*$/, '');

// SQL string literal.
const lit = (s) => `'${String(s).replaceAll("'", "''")}'`;
// A DECIMAL column as its exact value without trailing zeros ("4310", "1797.24").
const money = (col) =>
  `CASE WHEN contains(CAST(${col} AS VARCHAR), '.') THEN rtrim(rtrim(CAST(${col} AS VARCHAR), '0'), '.') ELSE CAST(${col} AS VARCHAR) END`;

async function main() {
  const start = process.hrtime.bigint();
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const con = await instance.connect();
  await con.run("SET TimeZone = 'UTC'");
  // rfm.sql numbers the rows in file order with row_number() OVER (): that needs the
  // reader's order kept (the default, set here so that it is explicit).
  await con.run('SET preserve_insertion_order = true');
  await con.run(`SET VARIABLE csv_path = ${lit(resolve(input))}`);
  await con.run(`SET VARIABLE as_of = ${lit(asof)}`);
  await con.run(`SET VARIABLE tz = ${lit(tz)}`);

  const queryStart = process.hrtime.bigint();
  await con.run(`CREATE TEMP TABLE rfm AS ${rfmSQL}`);
  // recency_days (and last_order) are empty for customers without a purchase.
  const cols = ['customer_id', 'frequency', `${money('monetary')} AS monetary`, 'recency_days'];
  if (lastOrder) cols.push(`strftime(last_order AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS last_order`);
  await con.run(
    `COPY (SELECT ${cols.join(', ')} FROM rfm ORDER BY customer_id) TO ${lit(resolve(output))} (FORMAT csv, HEADER true)`,
  );
  const queryEnd = process.hrtime.bigint();

  const sec = (a, b) => (Number(b - a) / 1e9).toFixed(3);
  console.log(`query wall time: ${sec(queryStart, queryEnd)} s (with DuckDB start-up: ${sec(start, queryEnd)} s)`);

  const summary = (
    await con.runAndReadAll(`
      SELECT count(*) AS customers,
             count(*) FILTER (WHERE frequency >= 1) AS with_purchases,
             sum(frequency) AS sum_frequency,
             ${money('sum(monetary)')} AS sum_monetary
      FROM rfm`)
  ).getRowObjectsJson()[0];
  const rejected = (
    await con.runAndReadAll('SELECT count(*) AS n FROM reject_errors')
  ).getRowObjectsJson()[0].n;
  console.log(
    `customers ${summary.customers}, with frequency >= 1 ${summary.with_purchases}, ` +
      `sum frequency ${summary.sum_frequency}, sum monetary ${summary.sum_monetary}, ` +
      `malformed CSV rows dropped ${rejected}; DuckDB ${version()}, tz ${tz}, as-of ${asof}`,
  );
  con.closeSync();
  instance.closeSync();
}

try {
  await main();
} catch (err) {
  console.error(`rfm.mjs: ${err.message ?? err}`);
  process.exit(1);
}
