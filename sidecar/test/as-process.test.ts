// The bundled sidecar as a real child process: invalid configuration exits 1 naming the
// setting; a missing data directory is created at start (0700), one that cannot be is exit 1
// naming it; a running sidecar serves Client ID Metadata Documents clients (fetched over https
// from 127.0.0.1 with the test-only CIMD_ALLOW_LOOPBACK; refused by the SSRF guard without it)
// and stops cleanly on SIGTERM.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, spawnSidecar, waitForHealth, type ChildSidecar } from './as-lib/child.js';
import { ClientDriver, type RegisteredClient } from './as-lib/client-driver.js';
import { freePort, TEST_RESOURCE, UPSTREAM_CLIENT_ID, UPSTREAM_CLIENT_SECRET } from './as-lib/harness.js';
import { startMockUpstream, type MockUpstream } from './as-lib/mock-upstream.js';
import { verifyAccessToken } from './as-lib/tokens.js';

let upstream: MockUpstream;
let workDir: string;
let certFile: string;
let docServer: https.Server;
let docBase: string;
const documents = new Map<string, string>();
const docRequests: string[] = [];

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'mcpauth-as-proc-'));
  certFile = path.join(workDir, 'cert.pem');
  const keyFile = path.join(workDir, 'key.pem');
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1',
  ]);
  docServer = https.createServer({ key: await readFile(keyFile), cert: await readFile(certFile) }, (req, res) => {
    docRequests.push(req.url ?? '');
    const body = documents.get(req.url ?? '');
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(body);
  });
  await new Promise<void>((resolve) => docServer.listen(0, '127.0.0.1', resolve));
  docBase = `https://127.0.0.1:${(docServer.address() as AddressInfo).port}`;
  upstream = await startMockUpstream();
  await buildBundle();
}, 120_000);

afterAll(async () => {
  await upstream?.stop();
  docServer?.close();
  await rm(workDir, { recursive: true, force: true });
});

async function settings(extra: Record<string, string> = {}): Promise<{ env: Record<string, string>; issuer: string }> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  return {
    issuer,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER: issuer,
      OIDC_ISSUER: upstream.issuer,
      CLIENT_ID: UPSTREAM_CLIENT_ID,
      CLIENT_SECRET: UPSTREAM_CLIENT_SECRET,
      RESOURCE: TEST_RESOURCE,
      ALLOWED_SCOPES: 'mcp:tools',
      DATA_DIR: await mkdtemp(path.join(workDir, 'data-')),
      NODE_EXTRA_CA_CERTS: certFile,
      ...extra,
    },
  };
}

describe('invalid configuration', () => {
  const cases: Array<[Record<string, string | undefined>, string]> = [
    [{ SIGNING_ALG: 'HS256' }, 'SIGNING_ALG'],
    [{ CLIENT_ID: undefined }, 'CLIENT_ID'],
    [{ ISSUER: 'http://auth.example.com' }, 'ISSUER'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
  ];
  for (const [override, setting] of cases) {
    it(`exits 1 and names ${setting}`, async () => {
      const { env } = await settings();
      const merged = { ...env, ...override };
      for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
      const child = spawnSidecar(merged as Record<string, string>);
      expect(await child.exited).toBe(1);
      expect(child.stderr.join('\n')).toContain(setting);
    });
  }

  it('exits 1 on an unknown flag, naming it', async () => {
    const { env } = await settings();
    const child = spawnSidecar(env, ['--no-such-setting', 'x']);
    expect(await child.exited).toBe(1);
    expect(child.stderr.join('\n')).toContain('--no-such-setting');
  });
});

describe('data directory', () => {
  it('the default ./data is created at start (mode 0700) in the working directory', async () => {
    const { env, issuer } = await settings();
    delete env.DATA_DIR;
    const cwd = await mkdtemp(path.join(workDir, 'cwd-'));
    const child = spawnSidecar(env, [], { cwd });
    try {
      await waitForHealth(issuer, child);
      const dataDir = path.join(cwd, 'data');
      expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
      expect((await stat(path.join(dataDir, 'mcpauth.sqlite'))).isFile()).toBe(true);
      const client = await new ClientDriver(issuer).registerOk({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
      expect(client.client_id).toBeTruthy();
    } finally {
      await child.stop('SIGKILL');
    }
  });

  it('a DATA_DIR that cannot be created: exit 1 naming it', async () => {
    const { env } = await settings();
    const blocker = path.join(workDir, 'not-a-directory');
    await writeFile(blocker, 'x');
    const child = spawnSidecar({ ...env, DATA_DIR: path.join(blocker, 'data') });
    expect(await child.exited).toBe(1);
    expect(child.stderr.join('\n')).toContain(`DATA_DIR: storage directory ${path.join(blocker, 'data')}`);
  });
});

describe('running process with Client ID Metadata Documents', () => {
  let child: ChildSidecar;
  let issuer: string;

  beforeAll(async () => {
    const s = await settings({ CIMD_ALLOW_LOOPBACK: '1', LOG_LEVEL: '1' });
    issuer = s.issuer;
    child = spawnSidecar(s.env);
    await waitForHealth(issuer, child);
  }, 60_000);

  afterAll(async () => {
    await child?.stop('SIGKILL');
  });

  function publish(name: string, doc: Record<string, unknown> | string): string {
    const id = `${docBase}/clients/${name}.json`;
    documents.set(`/clients/${name}.json`, typeof doc === 'string' ? doc : JSON.stringify({ client_id: id, ...doc }));
    return id;
  }

  it('advertises CIMD support', async () => {
    const meta = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(meta.client_id_metadata_document_supported).toBe(true);
  });

  it('logs in a client identified by its metadata document URL, with consent on first use', async () => {
    const clientId = publish('good', {
      client_name: 'CIMD App',
      redirect_uris: ['http://127.0.0.1/cb'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    const driver = new ClientDriver(issuer);
    const client: RegisteredClient = { client_id: clientId, redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' };
    const outcome = await driver.authorize({ client, redirectUri: 'http://127.0.0.1:40123/cb', scope: 'mcp:tools', resource: TEST_RESOURCE });
    expect(outcome.consentShown).toBe(true);
    expect(outcome.code).toBeTruthy();
    const tokens = await driver.exchangeCode(client, outcome);
    expect(tokens.status).toBe(200);
    const { payload } = await verifyAccessToken(issuer, tokens.json.access_token, TEST_RESOURCE);
    expect(payload.client_id).toBe(clientId);
    expect((await driver.refresh(client, tokens.json.refresh_token)).status).toBe(200);
  });

  it('reads a document with a custom scheme and no application_type as native', async () => {
    const clientId = publish('cursorish', {
      client_name: 'Cursorish',
      redirect_uris: ['cursor://anysphere.cursor-mcp/oauth/callback'],
      token_endpoint_auth_method: 'none',
    });
    const client: RegisteredClient = { client_id: clientId, redirect_uris: ['cursor://anysphere.cursor-mcp/oauth/callback'], token_endpoint_auth_method: 'none' };
    const outcome = await new ClientDriver(issuer).authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
    expect(outcome.code).toBeTruthy();
  });

  const refusedDocuments: Array<[string, (id: string) => Record<string, unknown> | string]> = [
    ['a client_id that is not the document URL', () => ({ client_id: 'https://other.example/client.json', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' })],
    ['a plain-http non-loopback redirect URI', () => ({ redirect_uris: ['http://evil.example/cb'], token_endpoint_auth_method: 'none' })],
    ['a shared-secret auth method', () => ({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'client_secret_post' })],
    ['a body over the size cap', () => ({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none', client_name: 'x'.repeat(6 * 1024) })],
    ['a body that is not JSON', () => 'not json'],
  ];
  let n = 0;
  for (const [label, make] of refusedDocuments) {
    it(`shows an error page, never redirecting, for a document with ${label}`, async () => {
      const name = `bad-${n++}`;
      const id = `${docBase}/clients/${name}.json`;
      const doc = make(id);
      publish(name, typeof doc === 'string' ? doc : { client_id: id, ...doc });
      const client: RegisteredClient = { client_id: id, redirect_uris: ['http://127.0.0.1/cb'] };
      const outcome = await new ClientDriver(issuer).authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
      expect(outcome.code).toBeUndefined();
      expect(outcome.callback).toBeUndefined();
      expect(outcome.page?.status).toBe(400);
      expect(outcome.page?.headers.get('location')).toBeNull();
    });
  }

  it('stops cleanly on SIGTERM', async () => {
    const s = await settings();
    const other = spawnSidecar(s.env);
    await waitForHealth(s.issuer, other);
    expect(await other.stop('SIGTERM')).toBe(0);
    expect(other.stdout.some((l) => l.includes('"event":"sidecar.stopped"'))).toBe(true);
  });
});

describe('SSRF guard on metadata documents', () => {
  it('refuses to fetch a document from a loopback address without CIMD_ALLOW_LOOPBACK', async () => {
    const s = await settings();
    const child = spawnSidecar(s.env);
    try {
      await waitForHealth(s.issuer, child);
      const id = `${docBase}/clients/ssrf.json`;
      documents.set('/clients/ssrf.json', JSON.stringify({ client_id: id, redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' }));
      const before = docRequests.filter((u) => u === '/clients/ssrf.json').length;
      const outcome = await new ClientDriver(s.issuer).authorize({ client: { client_id: id, redirect_uris: ['http://127.0.0.1/cb'] }, scope: 'mcp:tools', resource: TEST_RESOURCE });
      expect(outcome.code).toBeUndefined();
      expect(outcome.page?.status).toBe(400);
      expect(outcome.page?.text).toContain('invalid_client');
      expect(docRequests.filter((u) => u === '/clients/ssrf.json').length).toBe(before);
    } finally {
      await child.stop('SIGKILL');
    }
  });
});
