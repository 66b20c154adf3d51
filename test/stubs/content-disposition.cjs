// Jest on Node 20 cannot require() an ES module, and content-disposition 3 is ESM only; the
// service never calls reply.download(), the one @fastify/static path that uses it.
'use strict';
module.exports = {
  create(filename) {
    return filename ? `attachment; filename="${String(filename).replace(/["\\]/g, '\\$&')}"` : 'attachment';
  },
  parse() {
    throw new Error('content-disposition.parse is not available under Jest');
  },
};
