// The user's browser, headless: plain fetch with `redirect: 'manual'` and a cookie jar, walking
// the front channel of an authorization (sidecar /authorize -> upstream IdP login -> sidecar
// /callback -> consent page -> the client's redirect URI). The consent form is submitted the way
// a user would: the form's own action and CSRF token, with the chosen button's value.

/** A cookie as the browser keeps it (every server here is 127.0.0.1, so host scoping is moot). */
interface StoredCookie {
  name: string;
  value: string;
  path: string;
}

export class CookieJar {
  readonly #cookies = new Map<string, StoredCookie>();

  /** Takes the Set-Cookie headers of a response to `url`. */
  store(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      // RFC 6265 §5.1.4 default path: the request path up to its last slash.
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = value === '';
      for (const attribute of attributes) {
        const [key = '', val = ''] = attribute.split('=');
        const lower = key.toLowerCase();
        if (lower === 'path' && val.startsWith('/')) path = val;
        if (lower === 'max-age' && Number(val) <= 0) expired = true;
        if (lower === 'expires' && Date.parse(val) < Date.now()) expired = true;
      }
      const id = `${name}\n${path}`;
      if (expired) this.#cookies.delete(id);
      else this.#cookies.set(id, { name, value, path });
    }
  }

  /** The Cookie header for a request to `url`, if any cookie applies. */
  header(url: URL): string | undefined {
    const matching = [...this.#cookies.values()].filter((cookie) => pathMatches(url.pathname, cookie.path));
    return matching.length ? matching.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ') : undefined;
  }
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  const prefix = cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`;
  return requestPath.startsWith(prefix);
}

export type ConsentDecision = 'allow' | 'deny';

/** What the consent page showed, as a user reads it. */
export interface ConsentPage {
  url: URL;
  html: string;
  /** The heading's application name ("Authorize <name>?"). */
  clientName?: string;
  /** The "Sends you back to" entry. */
  redirectTarget?: string;
  /** The listed permissions. */
  scopes: string[];
}

/** A page the walk stopped at (anything that is neither a redirect nor a consent form). */
export interface StoppedAtPage {
  url: URL;
  status: number;
  headers: Headers;
  html: string;
}

export interface FrontChannelResult {
  /** The redirect URI with its query, when the walk reached it. */
  callback?: URL;
  /** The page the walk ended on instead. */
  page?: StoppedAtPage;
  /** Every URL requested, in order (the callback is not requested: nothing listens there). */
  visited: URL[];
  consentPages: ConsentPage[];
}

const MAX_HOPS = 30;

export class HeadlessBrowser {
  readonly jar = new CookieJar();

  async get(url: URL): Promise<Response> {
    const cookie = this.jar.header(url);
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { accept: 'text/html,application/xhtml+xml', ...(cookie ? { cookie } : {}) },
    });
    this.jar.store(url, response.headers);
    return response;
  }

  async postForm(url: URL, form: Record<string, string>): Promise<Response> {
    const cookie = this.jar.header(url);
    const response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html,application/xhtml+xml',
        ...(cookie ? { cookie } : {}),
      },
      body: new URLSearchParams(form).toString(),
    });
    this.jar.store(url, response.headers);
    return response;
  }

  /**
   * Opens `start` and follows redirects until one points at `isCallback` (returned, not
   * requested), answering the consent page with `decision`. Any other page ends the walk.
   */
  async walk(start: URL, isCallback: (url: URL) => boolean, decision: ConsentDecision): Promise<FrontChannelResult> {
    const visited: URL[] = [];
    const consentPages: ConsentPage[] = [];
    let url = start;
    let response = await this.get(url);
    visited.push(url);
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
        await response.arrayBuffer();
        const next = new URL(response.headers.get('location')!, url);
        if (isCallback(next)) return { callback: next, visited, consentPages };
        url = next;
        response = await this.get(url);
        visited.push(url);
        continue;
      }
      const html = await response.text();
      const form = response.status === 200 ? consentForm(html) : undefined;
      if (!form) return { page: { url, status: response.status, headers: response.headers, html }, visited, consentPages };
      consentPages.push(readConsentPage(url, html));
      const action = new URL(form.action, url);
      response = await this.postForm(action, { csrf: form.csrf, decision });
      visited.push(action);
      url = action;
    }
    throw new Error(`more than ${MAX_HOPS} hops from ${start.href}; visited ${visited.map((u) => u.href).join(' -> ')}`);
  }
}

interface ConsentForm {
  action: string;
  csrf: string;
}

function consentForm(html: string): ConsentForm | undefined {
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const csrf = /<input type="hidden" name="csrf" value="([^"]+)"/.exec(html)?.[1];
  if (action === undefined || csrf === undefined) return undefined;
  return { action: decodeHtml(action), csrf: decodeHtml(csrf) };
}

function readConsentPage(url: URL, html: string): ConsentPage {
  const permissions = /<dt>Permissions<\/dt><dd>([\s\S]*?)<\/dd>/.exec(html)?.[1] ?? '';
  return {
    url,
    html,
    clientName: decodeOptional(/<h1>Authorize (.*)\?<\/h1>/.exec(html)?.[1]),
    redirectTarget: decodeOptional(/<dt>Sends you back to<\/dt><dd><code>([^<]*)<\/code>/.exec(html)?.[1]),
    scopes: [...permissions.matchAll(/<li><code>([^<]*)<\/code><\/li>/g)].map((match) => decodeHtml(match[1]!)),
  };
}

function decodeOptional(value: string | undefined): string | undefined {
  return value === undefined ? undefined : decodeHtml(value);
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"' };

export function decodeHtml(value: string): string {
  return value.replace(/&(#\d+|amp|lt|gt|quot);/g, (_, entity: string) =>
    entity.startsWith('#') ? String.fromCharCode(Number(entity.slice(1))) : NAMED_ENTITIES[entity]!,
  );
}

/** The visible text of a page: tags removed, entities decoded, whitespace collapsed. */
export function pageText(html: string): string {
  const body = /<body>([\s\S]*)<\/body>/.exec(html)?.[1] ?? html;
  return decodeHtml(body.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
}
