// Tests of the single entry point for /version, discovery and OpenAPI documents.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiDocumentResponse } from './api-documents.ts';

describe('apiDocumentResponse', () => {
  it('answers /version, discovery and OpenAPI paths', () => {
    assert.equal(JSON.parse(apiDocumentResponse('GET', '/version', undefined)!.body as string).major, '1');
    assert.equal(JSON.parse(apiDocumentResponse('GET', '/apis/apps/v1', 'application/json')!.body as string).groupVersion, 'apps/v1');
    assert.equal(JSON.parse(apiDocumentResponse('GET', '/api', undefined, { serverAddress: 'h:1' })!.body as string).serverAddressByClientCIDRs[0].serverAddress, 'h:1');
    assert.ok(JSON.parse(apiDocumentResponse('GET', '/openapi/v3', 'application/json')!.body as string).paths['apis/serving.knative.dev/v1']);
    assert.equal(apiDocumentResponse('GET', '/openapi/v2', 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf')!.contentType, 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
  });

  it('passes OpenAPI options through', () => {
    const on = apiDocumentResponse('GET', '/openapi/v3', undefined)!.body;
    const off = apiDocumentResponse('GET', '/openapi/v3', undefined, { fieldValidation: false })!.body;
    assert.notEqual(on, off);
  });

  it('refuses writes with 405 and leaves other paths to REST routing', () => {
    const r = apiDocumentResponse('POST', '/apis', undefined)!;
    assert.equal(r.status, 405);
    assert.equal(JSON.parse(r.body as string).reason, 'MethodNotAllowed');
    assert.equal(apiDocumentResponse('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', undefined), undefined);
    assert.equal(apiDocumentResponse('GET', '/api/v1/namespaces/default/pods', undefined), undefined);
  });
});
