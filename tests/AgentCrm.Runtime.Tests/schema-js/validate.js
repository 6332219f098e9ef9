// Usage: node validate.js SCHEMA.json DOC.json...  Prints one JSON line per document: { file, valid, errors }.
const fs = require("fs");
const Ajv2020 = require("ajv/dist/2020");
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(JSON.parse(fs.readFileSync(process.argv[2], "utf8")));
for (const file of process.argv.slice(3)) {
  const valid = validate(JSON.parse(fs.readFileSync(file, "utf8")));
  console.log(JSON.stringify({ file, valid, errors: (validate.errors || []).map(e => `${e.instancePath} ${e.message}`) }));
}
