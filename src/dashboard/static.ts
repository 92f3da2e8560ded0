// Serves the dashboard's prebuilt static files under /dashboard/ on the API listener (docs/configuration.md "Dashboard").

import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';

const ASSETS = path.join(import.meta.dirname, 'assets');

/** The only files served, by their name under /dashboard/; anything else is a 404. */
const FILES: Record<string, string> = {
  '': 'text/html; charset=utf-8',
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/**
 * Answers `GET /dashboard` and `/dashboard/...` with the page and its assets, without a token: the files hold
 * no data; every API call the page makes sends the token the user typed. Returns false for other paths.
 */
export function serveDashboard(rawPath: string, method: string | undefined, res: http.ServerResponse): boolean {
  if (rawPath !== '/dashboard' && !rawPath.startsWith('/dashboard/')) return false;
  // The dashboard's data (its metrics) needs the token: the API server answers it after authentication.
  if (rawPath.startsWith('/dashboard/api/')) return false;
  if (rawPath === '/dashboard') {
    res.writeHead(301, { location: '/dashboard/' });
    res.end();
    return true;
  }
  const name = rawPath.slice('/dashboard/'.length);
  const type = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
    res.end('method not allowed\n');
    return true;
  }
  if (type === undefined) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
    return true;
  }
  const body = fs.readFileSync(path.join(ASSETS, name === '' ? 'index.html' : name));
  res.writeHead(200, {
    'content-type': type,
    'content-length': body.length,
    'cache-control': 'no-cache',
    // The page runs only its own script and talks only to this listener.
    'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(method === 'HEAD' ? undefined : body);
  return true;
}
