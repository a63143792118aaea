// Small response helpers for the routes the sidecar answers itself (not oidc-provider's).
import type { ServerResponse } from 'node:http';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** RFC 6749-style error body. */
export function sendOAuthError(res: ServerResponse, status: number, error: string, description: string, headers?: Record<string, string>): void {
  sendJson(res, status, { error, error_description: description }, headers);
}
