// The parts of Go's net/url that decide what get_uri returns: url.ParseRequestURI (how Go's server
// and http-wasm's set_uri parse a request target) and URL.EscapedPath.

export interface RequestUri {
  /** Path exactly as received (Go's RawPath when set, else the path). */
  rawPath: string;
  rawQuery: string;
  forceQuery: boolean;
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

// url.shouldEscape(c, encodePath)
function shouldEscapePath(c: number): boolean {
  if (isAlnum(c)) return false;
  if ('-_.~'.includes(String.fromCharCode(c))) return false;
  if ('$&+,/:;=@'.includes(String.fromCharCode(c))) return false;
  return true;
}

// url.validEncoded(s, encodePath)
function validEncodedPath(bytes: Buffer): boolean {
  for (const c of bytes) {
    if ("!$&'()*+,;=:@[]%".includes(String.fromCharCode(c))) continue;
    if (shouldEscapePath(c)) return false;
  }
  return true;
}

const HEX = '0123456789ABCDEF';

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

// url.unescape(s, encodePath); throws like Go's EscapeError.
function unescapePath(bytes: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0x25) {
      if (!isHex(bytes[i + 1]) || !isHex(bytes[i + 2])) {
        throw new Error(`invalid URL escape "${bytes.subarray(i, i + 3).toString('latin1')}"`);
      }
      out.push(parseInt(bytes.subarray(i + 1, i + 3).toString('latin1'), 16));
      i += 2;
    } else {
      out.push(c);
    }
  }
  return Buffer.from(out);
}

function escapePath(bytes: Buffer): string {
  let out = '';
  for (const c of bytes) out += shouldEscapePath(c) ? '%' + HEX[c >> 4] + HEX[c & 15] : String.fromCharCode(c);
  return out;
}

/** Go's URL.EscapedPath for a path received as `rawPath`. */
export function escapedPath(rawPath: string): string {
  const bytes = Buffer.from(rawPath, 'utf8');
  if (validEncodedPath(bytes)) return rawPath;
  if (rawPath === '*') return '*';
  return escapePath(unescapePath(bytes));
}

/** Go's url.ParseRequestURI, reduced to what get_uri needs. Throws `parse "<uri>": <reason>`. */
export function parseRequestUri(uri: string): RequestUri {
  const fail = (reason: string): never => {
    throw new Error(`parse "${uri}": ${reason}`);
  };
  if (uri === '') fail('empty url');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(uri)) fail('net/url: invalid control character in URL');
  if (uri === '*') return { rawPath: '*', rawQuery: '', forceQuery: false };
  let rest = uri;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length);
  let rawQuery = '';
  let forceQuery = false;
  if (rest.endsWith('?') && rest.split('?').length === 2) {
    forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf('?');
    if (q >= 0) {
      rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith('/')) {
    if (scheme) return { rawPath: '', rawQuery, forceQuery }; // opaque URL: no path
    fail('invalid URI for request');
  }
  if (scheme && rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  try {
    unescapePath(Buffer.from(rest, 'utf8'));
  } catch (e) {
    fail((e as Error).message);
  }
  return { rawPath: rest, rawQuery, forceQuery };
}

/** What http-wasm-host-go's GetURI returns for a parsed request target. */
export function requestUriString(u: RequestUri): string {
  let result = escapedPath(u.rawPath);
  if (result === '') result = '/';
  if (u.forceQuery || u.rawQuery !== '') result += '?' + u.rawQuery;
  return result;
}
