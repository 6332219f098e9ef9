// Usage: node openapi.js OPENAPI.json EXCHANGES.json
// Validates real HTTP exchanges against an OpenAPI 3.1 document with ajv (draft 2020-12), as a generated client or a
// contract test would. EXCHANGES.json is an array of { name, method, path (the document's template), status,
// contentType, body, request?, event? } where request (optional) is { contentType, body } sent, and event names a
// server-sent event of a text/event-stream answer whose data is body (checked against the schema the media type's
// x-events gives that event). Prints one JSON line per
// exchange: { name, valid, errors }. An exchange the document does not describe (no such operation, status or content
// type) is invalid, with the reason, and so is an answer object with a member its schema does not name.
const fs = require("fs");
const Ajv2020 = require("ajv/dist/2020");
const ajv = new Ajv2020({ allErrors: true, strict: false, logger: false });
const doc = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const id = "https://agentcrm.invalid/openapi.json";
ajv.addSchema({ ...doc, $id: id });
const pointer = (...parts) => "#/" + parts.map(p => String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
const mediaType = t => (t || "").split(";")[0].trim().toLowerCase();

// The top-level member names an object schema declares (through $ref, allOf, oneOf, anyOf), or null when it is not one.
function declared(schema, seen) {
  if (!schema || seen.has(schema)) return null;
  seen.add(schema);
  if (schema.$ref) return declared(schema.$ref.slice(2).split("/").reduce((o, p) => o && o[p.replace(/~1/g, "/").replace(/~0/g, "~")], doc), seen);
  let names = schema.properties ? new Set(Object.keys(schema.properties)) : null;
  for (const part of [...(schema.allOf || []), ...(schema.oneOf || []), ...(schema.anyOf || [])]) {
    const more = declared(part, seen);
    if (more) names = new Set([...(names || []), ...more]);
  }
  if (schema.additionalProperties && schema.additionalProperties !== false) return null;
  return names;
}

function check(exchange) {
  const operation = (doc.paths[exchange.path] || {})[exchange.method.toLowerCase()];
  if (!operation) return [`${exchange.method} ${exchange.path} is not in the document`];
  const errors = [];
  const validate = (where, parts, instance) => {
    const v = ajv.getSchema(id + pointer(...parts));
    if (!v(instance)) errors.push(...v.errors.map(e => `${where}${e.instancePath} ${e.message}${e.params && e.params.allowedValues ? " " + JSON.stringify(e.params.allowedValues) : ""}`));
  };
  const response = (operation.responses || {})[String(exchange.status)];
  if (!response) errors.push(`status ${exchange.status} is not documented`);
  else if (exchange.body !== undefined && exchange.body !== null) {
    const type = mediaType(exchange.contentType);
    const media = (response.content || {})[type];
    if (!media) errors.push(`status ${exchange.status} does not document ${type}`);
    else if (exchange.event) {
      const item = (media["x-events"] || {})[exchange.event];
      if (!item || !item.$ref) errors.push(`event ${exchange.event} of ${type} is not documented`);
      else validate(`event ${exchange.event}`, item.$ref.slice(2).split("/").map(p => p.replace(/~1/g, "/").replace(/~0/g, "~")), exchange.body);
    }
    else {
      validate("response", ["paths", exchange.path, exchange.method.toLowerCase(), "responses", String(exchange.status), "content", type, "schema"], exchange.body);
      // A member the schema does not name is drift too (a schema without additionalProperties: false lets it pass).
      const names = declared(media.schema, new Set());
      if (names && exchange.body && typeof exchange.body === "object" && !Array.isArray(exchange.body))
        for (const key of Object.keys(exchange.body)) if (!names.has(key)) errors.push(`response member ${key} is not in the schema`);
    }
  }
  if (exchange.request) {
    const type = mediaType(exchange.request.contentType);
    const content = (operation.requestBody || {}).content || {};
    if (!content[type]) errors.push(`the request body's ${type} is not documented`);
    else validate("request", ["paths", exchange.path, exchange.method.toLowerCase(), "requestBody", "content", type, "schema"], exchange.request.body);
  }
  return errors;
}

for (const exchange of JSON.parse(fs.readFileSync(process.argv[3], "utf8"))) {
  const errors = check(exchange);
  console.log(JSON.stringify({ name: exchange.name, valid: errors.length === 0, errors }));
}
