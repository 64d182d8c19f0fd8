// Runs each SQL statement given on the command line in one in-memory DuckDB
// and prints each one's rows as a line of JSON.
import { DuckDBInstance } from '@duckdb/node-api';

const db = await DuckDBInstance.create(':memory:');
const connection = await db.connect();
for (const sql of process.argv.slice(2)) {
  const result = await connection.runAndReadAll(sql);
  console.log(JSON.stringify(result.getRowObjectsJson()));
}
