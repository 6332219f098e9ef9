'use strict';
// Drives Qdrant's official JavaScript client (@qdrant/js-client-rest) through a list of calls against a
// base URL (the xunit test's recording listener), so its requests can be compared with ours.
// Usage: node differential.js <baseUrl> <apiKey> <calls.json>
//   calls.json: [{ "method": "<QdrantClient method>", "args": [...], "expectError"?: true }]
// Prints one JSON line per call; exit 0 when every call behaved as expected, 1 otherwise, 2 on usage errors.
const fs = require('node:fs');
const { QdrantClient } = require('@qdrant/js-client-rest');

const [url, apiKey, callsPath] = process.argv.slice(2);
if (!url || !apiKey || !callsPath) {
  console.error('usage: node differential.js <baseUrl> <apiKey> <calls.json>');
  process.exit(2);
}
const calls = JSON.parse(fs.readFileSync(callsPath, 'utf8'));
// checkCompatibility would add an unrelated GET / before the first call.
const client = new QdrantClient({ url, apiKey, checkCompatibility: false });
const originalWarn = console.warn;
console.warn = (...args) => { if (!String(args[0]).startsWith('Api key is used with unsecure connection')) originalWarn(...args); };

(async () => {
  let failed = 0;
  for (const call of calls) {
    try {
      const result = await client[call.method](...call.args);
      const ok = !call.expectError;
      if (!ok) failed++;
      console.log(JSON.stringify({ method: call.method, ok, result }));
    } catch (error) {
      const ok = !!call.expectError;
      if (!ok) failed++;
      console.log(JSON.stringify({ method: call.method, ok, error: String(error && error.message || error) }));
    }
  }
  process.exit(failed === 0 ? 0 : 1);
})();
