// Calls the npm open311 library (unchanged, as installed from package-lock.json) and prints
// what it returns as one JSON line: {"ok": true, "result": ...} or {"ok": false, "error": ...,
// "body": ...}. Usage:
//   node client.js BASE_URL JURISDICTION API_KEY COMMAND [ARGUMENT]
// COMMAND: services | definition CODE | submit JSON_FIELDS | request ID | requests JSON_PARAMS
//        | token TOKEN
"use strict";

const Open311 = require("open311");

const [base, jurisdiction, apiKey, command, argument] = process.argv.slice(2);
const client = new Open311({ endpoint: base, jurisdiction, apiKey, format: "json" });

function done(err, data) {
  if (err) {
    process.stdout.write(JSON.stringify({ ok: false, error: err, body: data }) + "\n");
  } else {
    process.stdout.write(JSON.stringify({ ok: true, result: data }) + "\n");
  }
}

const commands = {
  services: () => client.serviceList(done),
  definition: () => client.serviceDefinition(argument, done),
  submit: () => client.submitRequest(JSON.parse(argument), done),
  request: () => client.serviceRequests(argument, done),
  requests: () => client.serviceRequests(JSON.parse(argument || "{}"), done),
  token: () => client.token(argument, done),
};

if (!Object.hasOwn(commands, command)) {
  process.stderr.write(`unknown command ${command}\n`);
  process.exit(2);
}
commands[command]();
