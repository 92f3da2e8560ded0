// The data plane's closed error set: each code's HTTP status, body text and headers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DATA_PLANE_ERRORS, DataPlaneError, type DataPlaneErrorCode } from './errors.ts';

test('every code has one status and one body text', () => {
  const refused: NodeJS.ErrnoException = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
  const all = [
    DataPlaneError.noRoute('nope.example.com'),
    DataPlaneError.noTag('canary', 'h.example.com'),
    DataPlaneError.unavailable(undefined, 'h.example.com'),
    DataPlaneError.queueFull(),
    DataPlaneError.queueTimeout(),
    DataPlaneError.revisionGone('ns/r-1'),
    DataPlaneError.badRequest('too many Host headers'),
    DataPlaneError.unsupportedTransferCoding(),
    DataPlaneError.upstream('ns/r-1', refused),
    DataPlaneError.timeout('total'),
    DataPlaneError.timeout('responseStart'),
    DataPlaneError.timeout('idle'),
  ];
  assert.deepEqual(
    all.map((e) => [e.code, e.status, e.body]),
    [
      ['KNIT_ERR_NO_ROUTE', 404, 'knit: no service is routed for host "nope.example.com"\n'],
      ['KNIT_ERR_NO_TAG', 404, 'knit: no tag "canary" on host "h.example.com"\n'],
      ['KNIT_ERR_UNAVAILABLE', 503, 'knit: revision (none) of host "h.example.com" is not available\n'],
      ['KNIT_ERR_QUEUE_FULL', 503, 'pending request queue full\n'],
      ['KNIT_ERR_QUEUE_TIMEOUT', 503, 'context deadline exceeded\n'],
      ['KNIT_ERR_REVISION_GONE', 503, 'revision ns/r-1 is gone\n'],
      ['KNIT_ERR_BAD_REQUEST', 400, '400 Bad Request: too many Host headers\n'],
      ['KNIT_ERR_UNSUPPORTED_TRANSFER_CODING', 501, 'Unsupported transfer encoding\n'],
      ['KNIT_ERR_UPSTREAM', 502, 'knit: error reaching revision ns/r-1: connect ECONNREFUSED 127.0.0.1:9\n'],
      ['KNIT_ERR_TIMEOUT', 504, 'request timeout\n'],
      ['KNIT_ERR_RESPONSE_START_TIMEOUT', 504, 'request timeout: no response started\n'],
      ['KNIT_ERR_IDLE_TIMEOUT', 504, 'request timeout: response idle\n'],
    ],
  );
  assert.deepEqual(new Set(all.map((e) => e.code)), new Set(Object.keys(DATA_PLANE_ERRORS) as DataPlaneErrorCode[]), 'the list covers the closed set');
  for (const e of all) assert.equal(e.name, 'DataPlaneError');
});

test('only a full queue asks the client to retry later; an upstream error keeps its cause', () => {
  assert.deepEqual(DataPlaneError.queueFull().headers, { 'retry-after': '1' });
  assert.deepEqual(DataPlaneError.queueTimeout().headers, {});
  const cause = new Error('socket hang up');
  assert.equal(DataPlaneError.upstream('ns/r', cause).cause, cause);
});
