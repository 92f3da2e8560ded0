// A small HTTP server serving only src/kube's discovery, OpenAPI and Table documents, for tests that point real kubectl at it.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiDocumentResponse } from '../../src/kube/api-documents.ts';
import { strictDecodingError, unknownFields, unknownFieldWarnings } from '../../src/kube/field-validation.ts';
import type { OpenAPIOptions } from '../../src/kube/openapi.ts';
import { registry } from '../../src/kube/registry.ts';
import { tableContentType, tableOptions, tableRequested, toTable } from '../../src/kube/table.ts';

/** Objects the server lists, by `group/version/resource` (core: `/v1/pods`). */
export type Fixtures = Record<string, Record<string, unknown>[]>;

/** One request as the server saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  accept: string;
}

export interface KubeFaceServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

const notFound = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 });

/** A create that only checks fields: Strict answers kube-apiserver's 400, Warn adds Warning headers, then the body is echoed. */
function create(req: http.IncomingMessage, res: http.ServerResponse, kind: NonNullable<ReturnType<typeof registry.byResource>>, fieldValidation: string | null): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
    const unknown = fieldValidation === 'Ignore' ? [] : unknownFields(kind, body);
    if (unknown.length && fieldValidation === 'Strict') {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: strictDecodingError(kind, body, unknown), reason: 'BadRequest', code: 400 }));
      return;
    }
    const headers: Record<string, string | string[]> = { 'content-type': 'application/json' };
    if (unknown.length) headers.warning = unknownFieldWarnings(unknown).map((w) => `299 - ${JSON.stringify(w)}`);
    res.writeHead(201, headers);
    res.end(JSON.stringify(body));
  });
}

/** Starts the server on 127.0.0.1, port 0. */
export async function startKubeFaceServer(fixtures: Fixtures = {}, openapi: OpenAPIOptions = {}): Promise<KubeFaceServer> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const accept = req.headers.accept ?? '';
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', accept });
    const send = (status: number, contentType: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': contentType });
      res.end(body);
    };
    const doc = apiDocumentResponse(req.method, req.url ?? '/', accept, { ...openapi, serverAddress: req.headers.host });
    if (doc) {
      res.writeHead(doc.status, { ...doc.headers, 'content-type': doc.contentType });
      res.end(doc.body);
      return;
    }
    // GET /api/v1/[namespaces/NS/]RES[/NAME] and /apis/G/V/[namespaces/NS/]RES[/NAME]
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return send(404, 'application/json', notFound);
    const [group, version] = m[1] ? ['', m[1]] : [m[2], m[3]];
    const kind = registry.byResource(group, version, m[5]);
    if (!kind) return send(404, 'application/json', notFound);
    if (req.method === 'POST' && m[6] === undefined) return create(req, res, kind, url.searchParams.get('fieldValidation'));
    if (req.method !== 'GET') return send(405, 'application/json', notFound);
    const all = fixtures[`${group}/${version}/${m[5]}`] ?? [];
    const inNs = all.filter((o) => m[4] === undefined || (o.metadata as { namespace?: string }).namespace === m[4]);
    const picked = m[6] === undefined ? inNs : inNs.filter((o) => (o.metadata as { name?: string }).name === m[6]);
    if (m[6] !== undefined && picked.length === 0) return send(404, 'application/json', notFound);
    const body = m[6] === undefined ? { kind: kind.listKind, apiVersion: kind.groupVersion, metadata: { resourceVersion: '7' }, items: picked } : picked[0];
    const tv = tableRequested(accept);
    if (tv) return send(200, tableContentType(tv), JSON.stringify(toTable(kind, body, { ...tableOptions(url.searchParams), version: tv })));
    send(200, 'application/json', JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
