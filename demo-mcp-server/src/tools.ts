// The demo server's tools. Each call reads the HTTP request that carried it (the SDK hands the
// transport's `requestInfo` to the tool callback), so `whoami` answers with the identity the
// gateway set on *that* request, not one remembered from when the session started.
import { randomInt } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { IsomorphicHeaders } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** The header the gateway (plugin or forwardAuth) sets to the caller's email. */
export const USER_HEADER = 'x-forwarded-user';

/** Headers whose values are credentials: never echoed back, even to their owner. */
export const SENSITIVE_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'cookie',
  'proxy-authorization',
  'set-cookie',
  'x-api-key',
]);
export const REDACTED = '[redacted]';

/** crypto.randomInt needs max - min < 2^48; keep the arguments well inside that. */
export const RANDOM_LIMIT = 2 ** 47 - 1;

type HeaderValue = string | string[] | undefined;

/** Lower-cased names, repeated values joined with ", " (as HTTP allows for all but Set-Cookie). */
export function headerRecord(headers: IsomorphicHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {}) as [string, HeaderValue][]) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The headers with every sensitive value replaced by REDACTED, names sorted. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers).sort()) {
    out[name] = SENSITIVE_HEADERS.has(name) ? REDACTED : headers[name]!;
  }
  return out;
}

function text(value: string) {
  return { type: 'text' as const, text: value };
}

export function registerTools(server: McpServer): void {
  server.registerTool(
    'whoami',
    {
      description: 'Returns the X-Forwarded-User header the gateway set on this request: the email of the logged-in user.',
      outputSchema: { user: z.string().nullable() },
    },
    (extra) => {
      const user = headerRecord(extra.requestInfo?.headers)[USER_HEADER] ?? null;
      return {
        content: [text(user ?? 'no X-Forwarded-User header: this request did not come through the gateway')],
        structuredContent: { user },
      };
    },
  );

  server.registerTool(
    'random_number',
    {
      description: 'Returns a random integer between min and max, both included.',
      inputSchema: {
        min: z.number().int().min(-RANDOM_LIMIT).max(RANDOM_LIMIT).default(1).describe('smallest possible value'),
        max: z.number().int().min(-RANDOM_LIMIT).max(RANDOM_LIMIT).default(100).describe('largest possible value'),
      },
      outputSchema: { value: z.number().int() },
    },
    ({ min, max }) => {
      if (min > max) {
        return { isError: true, content: [text(`min (${min}) must not be greater than max (${max})`)] };
      }
      if (max - min >= RANDOM_LIMIT) {
        return { isError: true, content: [text(`max - min must be below ${RANDOM_LIMIT}`)] };
      }
      const value = randomInt(min, max + 1);
      return { content: [text(String(value))], structuredContent: { value } };
    },
  );

  server.registerTool(
    'request_headers',
    {
      description: `Returns the HTTP headers this request arrived with; credentials (${[...SENSITIVE_HEADERS].join(', ')}) are redacted.`,
      outputSchema: { headers: z.record(z.string(), z.string()) },
    },
    (extra) => {
      const headers = redactHeaders(headerRecord(extra.requestInfo?.headers));
      return { content: [text(JSON.stringify(headers, null, 2))], structuredContent: { headers } };
    },
  );
}
