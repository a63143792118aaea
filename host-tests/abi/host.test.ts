// The test host must behave like Traefik's http-wasm host; these tests pin the behaviours a guest
// can trip over (see host-tests/host/httpWasmHost.ts and the traefik-http-wasm-host doc).
import { describe, expect, it } from 'vitest';
import { builtTestGuest } from '../host/builtGuest.js';
import {
  buildTestModule, canonicalMIMEHeaderKey, GuestLoadError, HttpWasmHost, parseMount,
} from '../host/index.js';

const PROBE = builtTestGuest('abi_probe');
const action = (name: string, ...more: Array<[string, string]>) => ({ headers: [['x-probe-action', name] as [string, string], ...more] });

describe('module admission (like wazero + http-wasm-host-go)', () => {
  it('accepts a minimal guest and answers an empty 200 when it sets nothing', async () => {
    const host = await HttpWasmHost.create(buildTestModule());
    const r = await host.handle();
    expect(r).toMatchObject({ status: 200, next: false, trapped: false });
    expect(r.body.length).toBe(0);
  });

  it('refuses a module importing env (e.g. AssemblyScript\'s default abort)', async () => {
    const wasm = buildTestModule({ imports: [{ module: 'env', name: 'abort', params: ['i32', 'i32', 'i32', 'i32'], results: [] }] });
    await expect(HttpWasmHost.create(wasm)).rejects.toThrow(GuestLoadError);
    await expect(HttpWasmHost.create(wasm)).rejects.toThrow(/module\[env\] not instantiated \(import env\.abort/);
  });

  it('refuses unknown functions and wrong signatures in the allowed modules', async () => {
    await expect(HttpWasmHost.create(buildTestModule({ imports: [{ module: 'http_handler', name: 'get_header', params: ['i32'], results: ['i32'] }] })))
      .rejects.toThrow('"get_header" is not exported in module "http_handler"');
    await expect(HttpWasmHost.create(buildTestModule({ imports: [{ module: 'http_handler', name: 'get_header_names', params: ['i32', 'i32', 'i32'], results: ['i32'] }] })))
      .rejects.toThrow('import func[http_handler.get_header_names]: signature mismatch: (i32,i32,i32) -> (i64) != (i32,i32,i32) -> (i32)');
    await expect(HttpWasmHost.create(buildTestModule({ imports: [{ module: 'wasi_snapshot_preview1', name: 'clock_time_get', params: ['i32', 'i32', 'i32'], results: ['i32'] }] })))
      .rejects.toThrow(/clock_time_get\]: signature mismatch/);
  });

  it('refuses a guest without the ABI exports', async () => {
    await expect(HttpWasmHost.create(buildTestModule({ handleRequestResultType: 'i32' })))
      .rejects.toThrow("wasm: guest exports the wrong signature for func[handle_request]. should be () -> (i64)");
    await expect(HttpWasmHost.create(buildTestModule({ exportMemory: false })))
      .rejects.toThrow("wasm: guest doesn't export memory[memory]");
  });
});

describe('response semantics (Go ResponseWriter without buffering)', () => {
  it('sends headers set before the status', async () => {
    const host = await HttpWasmHost.create(PROBE);
    const r = await host.handle(action('deny', ['x-probe-challenge', 'Bearer resource_metadata="https://x/.well-known"'], ['x-probe-status', '401']));
    expect(r.status).toBe(401);
    expect(r.header('WWW-Authenticate')).toBe('Bearer resource_metadata="https://x/.well-known"');
    expect(r.header('content-type')).toBe('text/plain');
    expect(r.text()).toBe('denied');
    expect(r.warnings).toEqual([]);
  });

  it('drops headers set after the status and records a warning', async () => {
    const host = await HttpWasmHost.create(PROBE);
    const r = await host.handle(action('status-first', ['x-probe-status', '403']));
    expect(r.status).toBe(403);
    expect(r.header('www-authenticate')).toBeUndefined();
    expect(r.text()).toBe('status first');
    expect(r.warnings.join('\n')).toMatch(/response header set "www-authenticate" after the status was written: dropped/);
  });

  it('keeps headers set after the status when the guest enabled buffer_response', async () => {
    const host = await HttpWasmHost.create(PROBE);
    const buffered = await host.handle(action('features', ['x-probe-features', '2']));
    expect(buffered.status).toBe(202);
    expect(buffered.json()).toEqual({ enabled: 2 });
    expect(buffered.header('x-after-status')).toBe('kept?');
    const plain = await host.handle(action('features', ['x-probe-features', '0']));
    expect(plain.status).toBe(202);
    expect(plain.header('x-after-status')).toBeUndefined();
  });

  it('answers 200 with the headers when the guest sets headers but no status or body', async () => {
    const host = await HttpWasmHost.create(PROBE);
    const r = await host.handle(action('headers-only'));
    expect(r.status).toBe(200);
    expect(r.header('x-only')).toBe('yes');
    expect(r.body.length).toBe(0);
  });
});

describe('next and upstream', () => {
  it('calls upstream with the request as the guest left it, then handle_response', async () => {
    const seen: string[] = [];
    const host = await HttpWasmHost.create(PROBE, {
      upstream: (req) => {
        seen.push(`${req.method} ${req.uri} ${req.header('x-user')}`);
        return { status: 207, headers: [['x-upstream', 'yes']], body: 'from upstream' };
      },
    });
    const r = await host.handle({ method: 'PUT', uri: '/tools?x=1', ...action('mutate', ['x-probe-set', 'x-user=bob']) });
    expect(seen).toEqual(['PUT /tools?x=1 bob']);
    expect(r).toMatchObject({ status: 207, next: true, trapped: false });
    expect(r.header('x-upstream')).toBe('yes');
    expect(r.text()).toBe('from upstream');
    expect(r.logs.map((l) => l.message)).toEqual(['handle_response ctx=1 isError=0']);
  });

  it('tells handle_response about an upstream failure with isError=1', async () => {
    const host = await HttpWasmHost.create(PROBE, { upstream: () => { throw new Error('connection refused'); } });
    const r = await host.handle(action('mutate'));
    expect(r.logs.map((l) => l.message)).toEqual(['handle_response ctx=1 isError=1']);
  });

  it('keeps Host out of the upstream headers: a guest cannot retarget it with set_header_value', async () => {
    const host = await HttpWasmHost.create(PROBE);
    const r = await host.handle({ host: 'real.example', ...action('mutate', ['x-probe-set', 'host=evil.example']) });
    expect(r.upstreamRequest!.host).toBe('real.example');
    expect(r.upstreamRequest!.header('host')).toBeUndefined();
  });

  it('traps (Traefik panics) when request headers change in handle_response', async () => {
    const host = await HttpWasmHost.create(PROBE);
    const r = await host.handle(action('mutate-late'));
    expect(r.trapped).toBe(true);
    expect(r.trapPhase).toBe('handle_response');
    expect(r.error).toMatch(/^can't set request header after next handler \(recovered by wazero\)/);
    // The upstream response was already on the wire, so Traefik's recovery aborts the connection.
    expect(r.aborted).toBe(true);
    expect(r.status).toBe(200);
  });

  it('answers Traefik\'s recovery 500 when handle_response panics before anything was sent', async () => {
    const host = await HttpWasmHost.create(PROBE, { upstream: () => ({}) });
    const r = await host.handle(action('mutate-late'));
    expect(r).toMatchObject({ trapped: true, trapPhase: 'handle_response', aborted: false, status: 500 });
    expect(r.text()).toBe('Internal Server Error\n');
  });
});

describe('traps in handle_request', () => {
  it('become a 500 whose body is the error, and the instance stays in the pool', async () => {
    const host = await HttpWasmHost.create(PROBE);
    const first = await host.handle();
    const trapped = await host.handle(action('trap'));
    expect(trapped).toMatchObject({ trapped: true, trapPhase: 'handle_request', status: 500, instanceId: first.instanceId });
    expect(trapped.text()).toContain('wasm error: unreachable');
    expect(trapped.error).toBe(trapped.text());
    const after = await host.handle();
    expect(after.instanceId).toBe(first.instanceId);
    expect(after.json().requestCount).toBe(3);
    expect(host.instancesCreated).toBe(1);
  });
});

describe('instance pool', () => {
  it('reuses one instance across sequential requests, so globals persist', async () => {
    const host = await HttpWasmHost.create(PROBE);
    const counts = [];
    for (let i = 0; i < 3; i++) counts.push((await host.handle()).json().requestCount);
    expect(counts).toEqual([1, 2, 3]);
    expect(host.instancesCreated).toBe(1);
  });

  it('newInstance() starts over with fresh globals', async () => {
    const host = await HttpWasmHost.create(PROBE);
    await host.handle();
    await host.handle();
    host.newInstance();
    const r = await host.handle();
    expect(r.json().requestCount).toBe(1);
    expect(r.instanceId).toBe(2);
  });

  it('freshInstancePerRequest simulates the pool dropping idle instances', async () => {
    const host = await HttpWasmHost.create(PROBE, { freshInstancePerRequest: true });
    expect((await host.handle()).json().requestCount).toBe(1);
    expect((await host.handle()).json().requestCount).toBe(1);
    expect(host.instancesCreated).toBe(3); // the eager one plus one per request
  });

  it('serves concurrent requests from separate instances', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const host = await HttpWasmHost.create(PROBE, { upstream: async () => { await gate; return { status: 204 }; } });
    const a = host.handle(action('mutate'));
    const b = host.handle(action('mutate'));
    release();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.instanceId).not.toBe(rb.instanceId);
    expect(host.instancesCreated).toBe(2);
  });

  it('leaks the instance when handle_request returns ctx != 0 with next = 0 (host-go pools it only in handle_response)', async () => {
    const host = await HttpWasmHost.create(buildTestModule({ handleRequestResult: 5n << 32n }));
    const r1 = await host.handle();
    const r2 = await host.handle();
    expect(r1.next).toBe(false);
    expect(r1.warnings.join()).toMatch(/reqCtx=5 with next=0.*leaked/);
    expect(r2.instanceId).not.toBe(r1.instanceId);
  });

  it('keeps linear memory bounded across many requests on one instance', async () => {
    const host = await HttpWasmHost.create(PROBE);
    const req = { headers: [['x-payload', 'p'.repeat(8192)], ['authorization', 'Bearer ' + 't'.repeat(900)]] as Array<[string, string]> };
    for (let i = 0; i < 50; i++) await host.handle(req);
    const early = host.memoryBytes();
    for (let i = 0; i < 400; i++) await host.handle(req);
    expect(host.memoryBytes()).toBe(early);
  });
});

describe('request target (Go net/url)', () => {
  it('returns the escaped path plus query, "/" for an empty path', async () => {
    const host = await HttpWasmHost.create(PROBE);
    const uri = async (u: string) => (await host.handle({ uri: u })).json().uri;
    expect(await uri('/caf\u00e9/a b?x=1')).toBe('/caf%C3%A9/a%20b?x=1');
    expect(await uri('/a%2Fb')).toBe('/a%2Fb');
    expect(await uri('/p?')).toBe('/p?');
    expect(await uri('http://example.com?x=1')).toBe('/?x=1');
    await expect(host.handle({ uri: 'no-slash' })).rejects.toThrow('parse "no-slash": invalid URI for request');
  });
});

describe('Go header model', () => {
  it('canonicalizes keys like textproto.CanonicalMIMEHeaderKey', () => {
    expect(canonicalMIMEHeaderKey('x-forwarded-for')).toBe('X-Forwarded-For');
    expect(canonicalMIMEHeaderKey('CONTENT-md5')).toBe('Content-Md5');
    expect(canonicalMIMEHeaderKey('foo bar')).toBe('foo bar');
    expect(canonicalMIMEHeaderKey('x_y-z')).toBe('X_y-Z');
  });

  it('sorts request names by canonical form before lowercasing them (like host-go)', async () => {
    const host = await HttpWasmHost.create(PROBE);
    // Canonical "Ab" < "Host" < "_x" (0x5F sorts after upper case but before lower case).
    const e = (await host.handle({ headers: [['_x', '1'], ['ab', '2']] })).json();
    expect(e.headerNames).toEqual(['ab', 'host', '_x']);
  });
});

describe('mounts', () => {
  it('parses Traefik settings.mounts entries', () => {
    expect(parseMount('/srv/keys')).toEqual({ hostDir: '/srv/keys', guestDir: '/srv/keys', readOnly: false });
    expect(parseMount('/srv/keys:/keys')).toEqual({ hostDir: '/srv/keys', guestDir: '/keys', readOnly: false });
    expect(parseMount('/srv/keys:/keys:ro')).toEqual({ hostDir: '/srv/keys', guestDir: '/keys', readOnly: true });
    expect(parseMount('/srv/keys:ro')).toEqual({ hostDir: '/srv/keys', guestDir: '/srv/keys', readOnly: true });
    expect(() => parseMount('/a:/b:/c')).toThrow('invalid directory "/a:/b:/c"');
  });
});

describe('start functions', () => {
  it('explains that a host call from the wasm start section needs --exportStart _start', async () => {
    // wazero would serve this call; a JavaScript host cannot reach the memory before
    // instantiation returns, so the test host refuses the guest with the fix in the message.
    await expect(HttpWasmHost.create(buildTestModule({ startLog: { via: 'start-section' } })))
      .rejects.toThrow(/host function called from the wasm start section \(build with --exportStart _start\)/);
  });

  it('runs an exported _start before the first request and logs what it logs', async () => {
    const host = await HttpWasmHost.create(buildTestModule({ startLog: { via: '_start', ptr: 0 } }));
    expect(host.logs).toEqual([{ level: 0, levelName: 'info', message: '\0' }]);
  });

  it('fails create (Traefik disables the router) when a start function traps', async () => {
    await expect(HttpWasmHost.create(buildTestModule({ startLog: { via: '_start', ptr: 65536 } })))
      .rejects.toThrow(/^wasm: error instantiating guest: module\[1\] function\[_start\] failed: out of memory reading message \(recovered by wazero\)/);
  });
});

describe('calls Traefik refuses without buffer_response', () => {
  it('set_status_code in handle_response traps', async () => {
    const host = await HttpWasmHost.create(PROBE);
    const r = await host.handle(action('status-late'));
    expect(r).toMatchObject({ trapped: true, trapPhase: 'handle_response', aborted: true });
    expect(r.error).toMatch(/^can't set status code after next handler unless buffer_response is enabled/);
  });

  it('get_status_code traps even in handle_request (the host type-asserts a buffering writer)', async () => {
    const host = await HttpWasmHost.create(PROBE);
    const r = await host.handle(action('get-status'));
    expect(r).toMatchObject({ trapped: true, trapPhase: 'handle_request', status: 500 });
    expect(r.text()).toMatch(/^interface conversion: .*bufferingResponseWriter \(recovered by wazero\)/);
  });
});
