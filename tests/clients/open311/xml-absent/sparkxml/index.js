// open311 0.0.12 loads sparkxml at start-up but calls it only for format "xml". The real one is
// a git dependency on GitHub (git:// is closed there since 2022) over the native libxmljs 0.18,
// which does not build on Node 20; see docs/decisions/0026-open311-client-js.md.
function absent() {
  throw new Error("sparkxml is not installed here: this client package reads JSON only");
}
exports.parseXml = absent;
exports.parse = absent;
