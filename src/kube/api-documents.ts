// One entry point for the documents kube clients read before any object: /version, discovery and OpenAPI.
//
// The API server calls `apiDocumentResponse(req.method, req.url, req.headers.accept, { serverAddress: req.headers.host })`
// first (after authentication) and, when it answers, writes `status`, `headers` (ETag among them),
// `contentType` and `body`; anything else goes on to REST routing, which finds kinds with `registry.byResource`
// (registry.ts), converts GETs asked `as=Table` with `toTable` (table.ts) and checks writes with
// `unknownFields` (field-validation.ts).

import { discoveryResponse, type DiscoveryOptions } from './discovery.ts';
import { openapiResponse, type OpenAPIOptions } from './openapi.ts';

/** An answer for a document path. */
export interface ApiDocumentResponse {
  status: number;
  contentType: string;
  body: string | Buffer;
  etag?: string;
  headers?: Record<string, string>;
}

/** These documents are read-only: any other method is 405 MethodNotAllowed. */
const methodNotAllowed = (): ApiDocumentResponse => ({
  status: 405,
  contentType: 'application/json',
  body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server does not allow this method on the requested resource', reason: 'MethodNotAllowed', details: {}, code: 405 }),
});

/** The answer for `/version`, a discovery path or an OpenAPI path (`pathAndQuery` as in the request line), or undefined for any other path. */
export function apiDocumentResponse(method: string | undefined, pathAndQuery: string, accept: string | undefined, opts: DiscoveryOptions & OpenAPIOptions = {}): ApiDocumentResponse | undefined {
  // Prefixed rather than resolved: a request path such as `//host:99999/x` is a path to Go's server, not an authority.
  const path = new URL(pathAndQuery.startsWith('/') ? `http://localhost${pathAndQuery}` : 'http://localhost/').pathname;
  const answer = discoveryResponse(path, accept, opts) ?? openapiResponse(pathAndQuery, accept, opts);
  if (!answer) return undefined;
  if (method !== undefined && method !== 'GET' && method !== 'HEAD') return methodNotAllowed();
  return answer;
}
