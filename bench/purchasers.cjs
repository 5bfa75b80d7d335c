// autocannon's per-request setup for the purchaseProduct workload of bench/policy-overhead.ts (a
// file, because autocannon's worker thread requires its hooks by path): requests take the buyers of
// FINGATE_BENCH_PURCHASERS in turn, so the requests in flight buy as different customers and do not
// queue on one customer's lock, and each carries a fresh idempotency key in place of `[<id>]`.
'use strict';

const { randomUUID } = require('node:crypto');

const purchasers = JSON.parse(process.env.FINGATE_BENCH_PURCHASERS);
let next = 0;

module.exports = function setupRequest(request) {
  const { headers, body } = purchasers[next++ % purchasers.length];
  return { ...request, headers, body: body.replace('[<id>]', randomUUID()) };
};
