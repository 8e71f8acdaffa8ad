// Checks one scenario's summary against the events a store holds, with verify.mjs's rules.
//
//   node tests/browser/check_stored.mjs < {"summary": {…}, "events": [stored event, …]}
//
// Prints the failures as a JSON array ([] when everything holds). The pytest suite reads the
// events of `clicktrail run` back from its Parquet files with DuckDB and hands them over here.
import { verify } from "./verify.mjs";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { summary, events } = JSON.parse(input);
console.log(JSON.stringify(verify(summary, events)));
