// open311 0.0.12 loads xml2json at start-up but calls it only in submitRequest with format
// "xml". xml2json 0.2.4 needs node-expat 1.4.1, a native module that does not build on Node 20;
// see docs/decisions/0026-open311-client-js.md.
exports.toJson = function absent() {
  throw new Error("xml2json is not installed here: this client package reads JSON only");
};
