// Reads a Parquet file with hyparquet (pure JavaScript, no Arrow, no DuckDB)
// and prints what the tests compare as JSON: rows, column names, the sums of
// the counters and the first row, times as epoch milliseconds.
import { readFileSync } from 'node:fs';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

const bytes = readFileSync(process.argv[2]);
const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
const metadata = parquetMetadata(file);
// Only rows [rowStart, rowEnd) when given.
const rowStart = Number(process.argv[3] ?? 0);
const rowEnd = Number(process.argv[4] ?? 0) || undefined;
const rows = await parquetReadObjects({ file, compressors, rowStart, rowEnd });
const sum = (name) => rows.reduce((total, row) => total + BigInt(row[name] ?? 0), 0n).toString();
const plain = (row) => Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) =>
  [k, v instanceof Date ? v.getTime() : typeof v === 'bigint' ? v.toString() : v]));
console.log(JSON.stringify({
  rows: rows.length,
  metadata_rows: Number(metadata.num_rows),
  columns: parquetSchema(metadata).children.map((c) => c.element.name),
  packets: sum('packets'),
  bytes: sum('bytes'),
  first_row: plain(rows[0]),
}));
