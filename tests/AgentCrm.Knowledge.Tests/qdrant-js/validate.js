'use strict';
// Validates recorded Qdrant request (and canned response) bodies against Qdrant's own OpenAPI document,
// the way Qdrant's tests/openapi suite does: find the operation by path template and method, take its
// requestBody / response schema, validate. Two adaptations for ajv (the spec is OpenAPI 3.0):
//  * `nullable: true` becomes a JSON Schema null type (a bare {"nullable": true} branch means "null");
//  * for requests (not responses) every object schema that lists properties gets additionalProperties:false,
//    so a misspelt or invented field fails here: Qdrant silently ignores unknown keys on most objects.
// Usage: node validate.js <openapi.json> <items.json>
//   items.json: [{ "name", "method", "path", "direction": "request"|"response", "status"?, "body" }]
// Prints one JSON line per item ({name, ok, schema, errors}); exit 0 = all valid, 1 = some invalid, 2 = usage.
const fs = require('node:fs');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');

const [specPath, itemsPath] = process.argv.slice(2);
if (!specPath || !itemsPath) {
  console.error('usage: node validate.js <openapi.json> <items.json>');
  process.exit(2);
}
const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
const items = JSON.parse(fs.readFileSync(itemsPath, 'utf8'));

const STRUCTURAL = ['type', '$ref', 'anyOf', 'oneOf', 'allOf', 'enum', 'properties', 'items', 'additionalProperties', 'const'];

function adapt(node, strict) {
  if (Array.isArray(node)) return node.map((n) => adapt(n, strict));
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, adapt(v, strict)]));
    } else if (key === 'example' || key === 'examples') {
      // documentation only
    } else {
      out[key] = adapt(value, strict);
    }
  }
  if (strict && out.properties && out.additionalProperties === undefined && (out.type === undefined || out.type === 'object')) {
    out.additionalProperties = false;
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (out.type !== undefined) {
      out.type = [].concat(out.type, 'null');
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
      return out;
    }
    if (!STRUCTURAL.some((k) => k in out)) return { type: 'null' };
    return { anyOf: [out, { type: 'null' }] };
  }
  delete out.nullable;
  return out;
}

function makeAjv(strict) {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  const isUint = (x) => Number.isInteger(x) && x >= 0;
  for (const f of ['uint', 'uint8', 'uint32', 'uint64']) ajv.addFormat(f, { type: 'number', validate: isUint });
  for (const f of ['int64', 'int32']) ajv.addFormat(f, { type: 'number', validate: Number.isInteger });
  for (const f of ['float', 'double']) ajv.addFormat(f, { type: 'number', validate: Number.isFinite });
  for (const f of ['binary', 'partial-date-time']) ajv.addFormat(f, true);
  ajv.addSchema({ $id: 'qdrant', components: { schemas: adapt(spec.components.schemas, strict) } });
  return ajv;
}
const ajvs = { request: makeAjv(true), response: makeAjv(false) };

const templates = Object.keys(spec.paths).map((template) => ({
  template,
  regex: new RegExp('^' + template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+') + '$'),
  literal: template.replace(/\{[^}]+\}/g, '').length,
}));

function findOperation(method, path) {
  const matches = templates.filter((t) => t.regex.test(path) && spec.paths[t.template][method.toLowerCase()]);
  matches.sort((a, b) => b.literal - a.literal); // prefer /points/query over /{collection}/{x}-like templates
  return matches.length ? { template: matches[0].template, op: spec.paths[matches[0].template][method.toLowerCase()] } : null;
}

function schemaFor(item, op) {
  if (item.direction === 'request') return op.requestBody?.content?.['application/json']?.schema;
  const responses = op.responses ?? {};
  const status = String(item.status ?? 200);
  const entry = responses[status] ?? responses[status[0] + 'XX'] ?? responses.default;
  return entry?.content?.['application/json']?.schema;
}

function rewriteRefs(schema) {
  return JSON.parse(JSON.stringify(schema).replace(/"#\/components\/schemas\//g, '"qdrant#/components/schemas/'));
}

let failed = 0;
for (const item of items) {
  const path = item.path.split('?')[0];
  const found = findOperation(item.method, path);
  const result = { name: item.name, ok: false, operation: null, schema: null, errors: null };
  if (!found) {
    result.errors = [`no operation ${item.method} ${path} in the OpenAPI document`];
  } else {
    result.operation = `${item.method.toUpperCase()} ${found.template}`;
    const schema = schemaFor(item, found.op);
    if (!schema) {
      result.errors = [`no JSON ${item.direction} schema for ${result.operation}`];
    } else {
      result.schema = schema.$ref ? schema.$ref.split('/').pop() : '(inline)';
      const validate = ajvs[item.direction === 'request' ? 'request' : 'response'].compile(
        rewriteRefs(item.direction === 'request' ? schema : adapt(schema, false)));
      result.ok = validate(item.body);
      if (!result.ok) result.errors = validate.errors.slice(0, 20).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    }
  }
  if (!result.ok) failed++;
  console.log(JSON.stringify(result));
}
process.exit(failed === 0 ? 0 : 1);
