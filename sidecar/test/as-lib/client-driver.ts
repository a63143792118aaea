// A headless MCP client + browser: registers, runs the authorization request through the
// sidecar and the mock upstream by following redirects with plain fetch and a cookie jar,
// submits the consent form with its CSRF token, then talks to the token endpoint.
import { createHash, randomBytes } from 'node:crypto';

export class CookieJar {
  readonly #cookies = new Map<string, { name: string; value: string; path: string }>();

  /** Stores Set-Cookie headers (host is ignored: every server here is 127.0.0.1). */
  update(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = value === '';
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        const key = k!.toLowerCase();
        if (key === 'path') path = v;
        if (key === 'max-age' && Number(v) <= 0) expired = true;
        if (key === 'expires' && Date.parse(v) < Date.now()) expired = true;
      }
      const id = `${name}\n${path}`;
      if (expired) this.#cookies.delete(id);
      else this.#cookies.set(id, { name, value, path });
    }
  }

  header(url: URL): string | undefined {
    const matching = [...this.#cookies.values()].filter(
      (c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
    );
    return matching.length ? matching.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  names(): string[] {
    return [...this.#cookies.values()].map((c) => c.name);
  }

  clear(): void {
    this.#cookies.clear();
  }
}

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  token_endpoint_auth_method?: string;
  redirect_uris: string[];
  [member: string]: unknown;
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function newPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function result(res: Response): Promise<HttpResult> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export type ConsentChoice = 'allow' | 'deny' | 'stop';

export interface AuthorizeOptions {
  client: RegisteredClient;
  redirectUri?: string;
  scope?: string;
  resource?: string | string[];
  pkce?: Pkce | null;
  codeChallengeMethod?: string;
  state?: string;
  consent?: ConsentChoice;
  extra?: Record<string, string>;
}

export interface AuthorizeOutcome {
  /** The URL the browser was finally sent to at the client's redirect URI. */
  callback?: URL;
  code?: string;
  state?: string;
  iss?: string;
  error?: string;
  pkce: Pkce | null;
  /** The last page shown when the flow stopped before reaching the client. */
  page?: { status: number; url: URL; text: string; headers: Headers };
  /** Every URL the browser visited, in order. */
  visited: URL[];
  consentShown: boolean;
}

export interface ConsentForm {
  action: string;
  csrf: string;
}

export function parseConsentForm(html: string): ConsentForm | undefined {
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!action || !csrf) return undefined;
  return { action: decodeEntities(action), csrf: decodeEntities(csrf) };
}

function decodeEntities(value: string): string {
  return value.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

export class ClientDriver {
  readonly issuer: string;
  readonly jar = new CookieJar();

  constructor(issuer: string) {
    this.issuer = issuer;
  }

  url(path: string): string {
    return `${this.issuer}${path}`;
  }

  async register(metadata: Record<string, unknown>, headers: Record<string, string> = {}): Promise<HttpResult> {
    return result(await fetch(this.url('/register'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(metadata),
    }));
  }

  async registerOk(metadata: Record<string, unknown>): Promise<RegisteredClient> {
    const res = await this.register(metadata);
    if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${res.text}`);
    return res.json as RegisteredClient;
  }

  authorizeUrl(opts: AuthorizeOptions, pkce: Pkce | null): URL {
    const url = new URL(this.url('/authorize'));
    const q = url.searchParams;
    q.set('response_type', 'code');
    q.set('client_id', opts.client.client_id);
    q.set('redirect_uri', opts.redirectUri ?? opts.client.redirect_uris[0]!);
    if (opts.scope !== undefined) q.set('scope', opts.scope);
    q.set('state', opts.state ?? randomBytes(8).toString('hex'));
    if (pkce) {
      q.set('code_challenge', pkce.challenge);
      q.set('code_challenge_method', opts.codeChallengeMethod ?? 'S256');
    }
    for (const r of [opts.resource ?? []].flat()) q.append('resource', r);
    for (const [k, v] of Object.entries(opts.extra ?? {})) q.set(k, v);
    return url;
  }

  /** A browser GET with this driver's cookies; redirects are not followed. */
  async browserGet(url: URL): Promise<Response> {
    const cookie = this.jar.header(url);
    const res = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });
    this.jar.update(url, res.headers);
    return res;
  }

  async browserPost(url: URL, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    const cookie = this.jar.header(url);
    const res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...(cookie ? { cookie } : {}), ...headers },
      body: new URLSearchParams(form).toString(),
    });
    this.jar.update(url, res.headers);
    return res;
  }

  /** Runs the whole front-channel: /authorize -> upstream -> /callback -> consent -> client. */
  async authorize(opts: AuthorizeOptions): Promise<AuthorizeOutcome> {
    const pkce = opts.pkce === undefined ? newPkce() : opts.pkce;
    const redirectUri = opts.redirectUri ?? opts.client.redirect_uris[0]!;
    const target = redirectUri.split('?')[0]!;
    return this.follow(this.authorizeUrl(opts, pkce), target, opts.consent ?? 'allow', pkce);
  }

  /** Follows redirects from `start` until the client's redirect URI or a page. */
  async follow(start: URL, redirectTarget: string, consent: ConsentChoice, pkce: Pkce | null): Promise<AuthorizeOutcome> {
    const visited: URL[] = [];
    let url = start;
    let consentShown = false;
    for (let hop = 0; hop < 25; hop++) {
      visited.push(url);
      const res = await this.browserGet(url);
      if (res.status >= 300 && res.status < 400) {
        const next = new URL(res.headers.get('location')!, url);
        await res.arrayBuffer();
        if (next.href.split('?')[0] === redirectTarget) {
          visited.push(next);
          const q = next.searchParams;
          return {
            callback: next,
            code: q.get('code') ?? undefined,
            state: q.get('state') ?? undefined,
            iss: q.get('iss') ?? undefined,
            error: q.get('error') ?? undefined,
            pkce,
            visited,
            consentShown,
          };
        }
        url = next;
        continue;
      }
      const text = await res.text();
      const form = res.status === 200 ? parseConsentForm(text) : undefined;
      if (form && consent !== 'stop' && !consentShown) {
        consentShown = true;
        const post = await this.browserPost(new URL(form.action, url), { csrf: form.csrf, decision: consent });
        await post.arrayBuffer();
        if (post.status !== 303) {
          return { pkce, visited, consentShown, page: { status: post.status, url, text: '', headers: post.headers } };
        }
        url = new URL(post.headers.get('location')!, url);
        continue;
      }
      return { pkce, visited, consentShown: consentShown || Boolean(form), page: { status: res.status, url, text, headers: res.headers } };
    }
    throw new Error('too many redirects');
  }

  #clientAuth(client: RegisteredClient, body: URLSearchParams): Record<string, string> {
    const method = client.token_endpoint_auth_method ?? 'client_secret_basic';
    if (method === 'none') {
      body.set('client_id', client.client_id);
      return {};
    }
    if (method === 'client_secret_post') {
      body.set('client_id', client.client_id);
      body.set('client_secret', client.client_secret!);
      return {};
    }
    const basic = Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret!)}`).toString('base64');
    return { authorization: `Basic ${basic}` };
  }

  async tokenRequest(client: RegisteredClient, params: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<HttpResult> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const item of [v].flat()) body.append(k, item);
    const auth = this.#clientAuth(client, body);
    return result(await fetch(this.url('/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth, ...headers },
      body: body.toString(),
    }));
  }

  async exchangeCode(client: RegisteredClient, outcome: AuthorizeOutcome, extra: Record<string, string | string[]> = {}): Promise<HttpResult> {
    const params: Record<string, string | string[]> = {
      grant_type: 'authorization_code',
      code: outcome.code!,
      redirect_uri: outcome.callback!.href.split('?')[0]!,
    };
    if (outcome.pkce) params.code_verifier = outcome.pkce.verifier;
    return this.tokenRequest(client, { ...params, ...extra });
  }

  async refresh(client: RegisteredClient, refreshToken: string, extra: Record<string, string> = {}): Promise<HttpResult> {
    return this.tokenRequest(client, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });
  }

  async revoke(client: RegisteredClient, token: string, hint?: string): Promise<HttpResult> {
    const body = new URLSearchParams({ token });
    if (hint) body.set('token_type_hint', hint);
    const auth = this.#clientAuth(client, body);
    return result(await fetch(this.url('/revoke'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
      body: body.toString(),
    }));
  }

  /** Registration, login with consent, code exchange: the tokens of a fresh client. */
  async loginAndExchange(opts: AuthorizeOptions): Promise<{ outcome: AuthorizeOutcome; tokens: HttpResult }> {
    const outcome = await this.authorize(opts);
    if (!outcome.code) throw new Error(`no code: ${outcome.error ?? outcome.page?.status} ${outcome.page?.text.slice(0, 300) ?? ''}`);
    const tokens = await this.exchangeCode(opts.client, outcome);
    return { outcome, tokens };
  }
}
