// The sidecar's pages in a real browser (Debian Chromium, headless): a client registered by DCR
// sends the browser to /authorize with PKCE S256 and a resource; Chromium follows the redirects
// through the development IdP's login back to the sidecar, shows the consent page (client name
// escaped, redirect host, scopes), and Allow / Deny land on the client's loopback redirect URI.
// A user outside the allowlist gets the "Access denied" page and no code. The pages refuse to be
// framed, by header and in Chromium. Screenshots go to test-artifacts/browser/.
import { createHash, randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAcceptanceStack, type AcceptanceStack } from '../acceptance/lib/stack.js';
import { artifactPath, launchChromium } from './lib/chromium.js';
import { startLoopbackServer, type LoopbackServer } from './lib/loopback-server.js';

const ALICE = { email: 'alice@example.com', email_verified: true };
const MALLORY = { email: 'mallory@evil.example', email_verified: true };
const SCOPE = 'mcp:tools';
/** A name a hostile client might choose: the page must show it as text, never as markup. */
const HOSTILE_NAME = 'Browser <b>bold</b> & "Co"';
const FRAME_ANCESTORS_NONE = /(^|;)\s*frame-ancestors 'none'\s*(;|$)/;

interface AsMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  registration_endpoint: string;
}

interface Authorization {
  url: string;
  state: string;
  verifier: string;
}

let stack: AcceptanceStack;
let client: LoopbackServer;
let browser: Browser;
let metadata: AsMetadata;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  client = await startLoopbackServer();
  stack = await startAcceptanceStack({ allowedEmails: ['@example.com'], devUser: ALICE });
  browser = await launchChromium();
  const response = await fetch(`${stack.urls.authServer}/.well-known/oauth-authorization-server`);
  expect(response.status).toBe(200);
  metadata = (await response.json()) as AsMetadata;
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
  await client?.stop();
});

/** Dynamic Client Registration, as an MCP client does it: a public client with a loopback redirect. */
async function register(name: string): Promise<string> {
  const response = await fetch(metadata.registration_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: [client.callbackUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  const body = (await response.json()) as { client_id?: string; client_name?: string };
  expect(response.status, JSON.stringify(body)).toBe(201);
  expect(body.client_name).toBe(name);
  return body.client_id!;
}

function authorization(clientId: string): Authorization {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const url = new URL(metadata.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: client.callbackUrl,
    scope: SCOPE,
    resource: stack.urls.mcp,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  return { url: url.href, state, verifier };
}

/** A fresh browser profile (no sidecar or IdP session) that records its navigations' responses, redirects included. */
async function newPage(): Promise<{ page: Page; navigations: Response[] }> {
  const context = await browser.newContext({ viewport: { width: 800, height: 700 } });
  contexts.push(context);
  const page = await context.newPage();
  const navigations: Response[] = [];
  page.on('response', (response) => {
    if (response.request().isNavigationRequest()) navigations.push(response);
  });
  return { page, navigations };
}

function isSidecar(url: string): boolean {
  return new URL(url).origin === new URL(stack.urls.authServer).origin;
}

function isCallback(url: URL): boolean {
  return url.origin === client.origin && url.pathname === '/callback';
}

/** Opens the authorization URL; Chromium follows /authorize -> IdP login -> /callback -> consent. */
async function walkToConsent(page: Page, start: string): Promise<void> {
  await page.goto(start);
  await page.waitForURL((url) => isSidecar(url.href) && /\/interaction\/[^/]+$/.test(url.pathname));
  await expect.poll(() => page.locator('h1').textContent()).toMatch(/^Authorize /);
}

/** The page's framing defence: CSP frame-ancestors 'none' and X-Frame-Options DENY. */
async function expectRefusesFraming(response: Response): Promise<void> {
  const headers = await response.allHeaders();
  expect(headers['content-security-policy'], response.url()).toMatch(FRAME_ANCESTORS_NONE);
  expect(headers['x-frame-options'], response.url()).toBe('DENY');
}

async function screenshot(page: Page, name: string): Promise<void> {
  const file = await artifactPath(name);
  const png = await page.screenshot({ path: file, fullPage: true });
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
}

describe('consent page in Chromium', () => {
  it('login through the IdP, consent showing the escaped client name, redirect host and scopes; Allow returns code and iss', async () => {
    stack.setUser(ALICE);
    const clientId = await register(HOSTILE_NAME);
    const auth = authorization(clientId);
    const { page, navigations } = await newPage();

    await walkToConsent(page, auth.url);
    const consentUrl = page.url();
    // The browser really went through the upstream login and back to the sidecar's /callback.
    const visited = navigations.map((r) => r.url());
    const idpLogin = visited.findIndex((u) => u.startsWith(`${stack.urls.idp}/authorize`));
    expect(idpLogin, visited.join('\n')).toBeGreaterThan(0);
    expect(visited.findIndex((u) => isSidecar(u) && new URL(u).pathname === '/callback')).toBeGreaterThan(idpLogin);

    // The client's name is text: the literal "<b>" is shown and no <b> element exists.
    await expect.poll(() => page.title()).toBe('Authorize access');
    expect(await page.locator('h1').textContent()).toBe(`Authorize ${HOSTILE_NAME}?`);
    expect(await page.locator('b').count()).toBe(0);
    const entries = await page.locator('dt').evaluateAll((dts) =>
      Object.fromEntries(dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent ?? ''])));
    expect(entries['Application']).toContain(HOSTILE_NAME);
    expect(entries['Sends you back to']).toBe(`${new URL(client.callbackUrl).host} (an application on this computer)`);
    expect(entries['Signed in as']).toBe(ALICE.email);
    expect(await page.locator('dd li code').allTextContents()).toEqual([SCOPE]);
    expect(await page.locator('main').textContent()).toContain('registered itself');
    await screenshot(page, 'consent.png');

    const consentResponse = navigations.filter((r) => r.url() === consentUrl).at(-1)!;
    expect(consentResponse.status()).toBe(200);
    await expectRefusesFraming(consentResponse);

    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(isCallback);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('state')).toBe(auth.state);
    expect(landed.searchParams.get('iss')).toBe(metadata.issuer);
    expect(landed.searchParams.get('error')).toBeNull();
    const code = landed.searchParams.get('code');
    expect(code).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(client.callbacks.map((u) => u.searchParams.get('state'))).toContain(auth.state);
    await screenshot(page, 'consent-allowed-callback.png');

    // The code is real: it redeems once, with the PKCE verifier, for a token for the resource.
    const token = await fetch(metadata.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: code!,
        redirect_uri: client.callbackUrl,
        client_id: clientId,
        code_verifier: auth.verifier,
        resource: stack.urls.mcp,
      }),
    });
    const tokens = (await token.json()) as { access_token?: string; scope?: string };
    expect(token.status, JSON.stringify(tokens)).toBe(200);
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.scope?.split(' ')).toContain(SCOPE);
    // Every sidecar response on the way refused framing: the login leg's redirects (/authorize,
    // the interaction handing over to the IdP, /callback, the finished login), the consent page
    // and the consent form's answer.
    const sidecarResponses = navigations.filter((r) => isSidecar(r.url()));
    const paths = sidecarResponses.map((r) => `${r.request().method()} ${new URL(r.url()).pathname.replace(/\/interaction\/[^/]+/, '/interaction/:uid')} ${r.status()}`);
    for (const step of ['GET /authorize 303', 'GET /interaction/:uid 303', 'GET /callback 303', 'GET /interaction/:uid/login 303', 'GET /interaction/:uid 200', 'POST /interaction/:uid/consent 303']) {
      expect(paths, paths.join('\n')).toContain(step);
    }
    for (const response of sidecarResponses) await expectRefusesFraming(response);
  });

  it('Deny on the consent page sends the browser back with error=access_denied and no code', async () => {
    stack.setUser(ALICE);
    const clientId = await register('Browser deny client');
    const auth = authorization(clientId);
    const { page } = await newPage();
    await walkToConsent(page, auth.url);
    expect(await page.locator('h1').textContent()).toBe('Authorize Browser deny client?');
    await screenshot(page, 'consent-before-deny.png');

    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL(isCallback);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('error')).toBe('access_denied');
    expect(landed.searchParams.get('state')).toBe(auth.state);
    expect(landed.searchParams.get('iss')).toBe(metadata.issuer);
    expect(landed.searchParams.has('code')).toBe(false);
  });

  it('the consent page does not render inside a frame on another origin', async () => {
    // A live consent interaction; the framing page opens in the same browser profile, so the
    // frame request carries the interaction cookie and the sidecar does answer with the consent
    // page: only the framing rule stops it.
    stack.setUser(ALICE);
    const auth = authorization(await register('Browser framing client'));
    const { page: consentPage } = await newPage();
    await walkToConsent(consentPage, auth.url);
    const consentUrl = consentPage.url();
    const page = await consentPage.context().newPage();
    const messages: string[] = [];
    page.on('console', (message) => messages.push(message.text()));

    // Control: a loopback page that allows framing renders in the same kind of frame.
    const control = client.publish('/frameable', '<!DOCTYPE html><title>frameable</title><h1>Frameable page</h1>');
    const framer = client.publish('/framer', `<!DOCTYPE html><title>framer</title>
<iframe id="control" src="${control}" width="400" height="200"></iframe>
<iframe id="victim" src="${consentUrl}" width="700" height="500"></iframe>`);

    const consentResponse = page.waitForResponse((r) => r.url() === consentUrl);
    await page.goto(framer);
    const response = await consentResponse;
    // The sidecar answered the frame's request with the consent page (200, its own headers) ...
    expect(response.status()).toBe(200);
    await expectRefusesFraming(response);

    const controlFrame = (await page.locator('#control').elementHandle())!;
    const controlContent = (await controlFrame.contentFrame())!;
    await expect.poll(() => controlContent.locator('h1').textContent().catch(() => null)).toBe('Frameable page');

    // ... and Chromium refused to render it: the frame holds Chromium's error document, with no
    // consent heading and no Allow button, and the console names the policy.
    await expect.poll(() => messages.some((m) => /frame-ancestors 'none'|X-Frame-Options/.test(m))).toBe(true);
    const victim = (await (await page.locator('#victim').elementHandle())!.contentFrame())!;
    expect(victim.url()).not.toBe(consentUrl);
    expect(await victim.locator('form button').count()).toBe(0);
    const victimText = await victim.evaluate(() => document.body?.innerText ?? '').catch(() => '');
    expect(victimText).not.toContain('Authorize');
    await screenshot(page, 'framing-refused.png');
    expect(messages.filter((m) => m.includes('frame-ancestors')).join('\n')).toContain(new URL(consentUrl).origin);
  });
});

describe('allowlist in Chromium', () => {
  it('a user outside ALLOWED_EMAILS sees the "Access denied" page after the IdP login, and the client gets no code', async () => {
    stack.setUser(MALLORY);
    try {
      const clientId = await register('Browser allowlist client');
      const auth = authorization(clientId);
      const { page, navigations } = await newPage();
      await page.goto(auth.url);
      await page.waitForURL((url) => isSidecar(url.href) && url.pathname === '/callback');
      await expect.poll(() => page.locator('h1').textContent()).toBe('Access denied');
      const text = await page.locator('main').innerText();
      expect(text).toContain('This account is not allowed to use this service.');
      expect(text).toContain(`Signed in as ${MALLORY.email}.`);
      expect(await page.locator('form, button').count()).toBe(0);
      await screenshot(page, 'access-denied.png');

      const denial = navigations.find((r) => isSidecar(r.url()) && new URL(r.url()).pathname === '/callback')!;
      expect(denial.status()).toBe(403);
      await expectRefusesFraming(denial);
      // The browser stayed on the sidecar: the client's redirect URI never heard of this request.
      expect(client.callbacks.some((u) => u.searchParams.get('state') === auth.state)).toBe(false);
      expect(isSidecar(page.url())).toBe(true);
    } finally {
      stack.setUser(ALICE);
    }
  });

  it('error pages refuse framing too (an unknown sign-in response at /callback)', async () => {
    const { page, navigations } = await newPage();
    await page.goto(`${stack.urls.authServer}/callback?state=unknown&code=nothing`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Sign-in expired');
    const response = navigations.find((r) => isSidecar(r.url()))!;
    expect(response.status()).toBe(400);
    await expectRefusesFraming(response);
    await screenshot(page, 'sign-in-expired.png');
  });
});
