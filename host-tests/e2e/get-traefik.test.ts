// scripts/traefik/get-traefik.mjs: which binary it picks, how it fails, and the go.mod directives it
// copies into the wrapper module. None of these cases builds Traefik: each either points at a binary
// that already exists or fails before the build starts.
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../lib/harness.js';
import { parseGoMod, PINNED_VERSION, wrapperDirectives } from '../../scripts/traefik/get-traefik.mjs';

const SCRIPT = path.join(repoRoot, 'scripts/traefik/get-traefik.mjs');
const STANDIN = path.join(repoRoot, 'scripts/traefik/standins/dynamic-ext');

describe('go.mod directives for the wrapper module', () => {
  const traefikGoMod = [
    'module github.com/traefik/traefik/v3',
    '',
    'go 1.26.0',
    '',
    'require (',
    '\tgithub.com/abbot/go-http-auth v0.0.0-00010101000000-000000000000 // No tag on the repo.',
    '\tgithub.com/traefik/traefik/dynamic/ext v0.0.0-00010101000000-000000000000',
    ')',
    '',
    'godebug x509negativeserial=1',
    '',
    'replace github.com/traefik/traefik/dynamic/ext => ./pkg/config/dynamic/ext',
    '',
    '// Containous forks',
    'replace (',
    '\tgithub.com/abbot/go-http-auth => github.com/containous/go-http-auth v0.4.1-0.20200324110947-a37a7636d23e',
    '\tgithub.com/gorilla/mux => github.com/containous/mux v0.0.0-20250523120546-41b6ec3aed59 // comment',
    ')',
    '',
    'exclude github.com/tencentcloud/tencentcloud-sdk-go v3.0.83+incompatible',
    '',
  ].join('\n');

  it('reads go, godebug, replace and exclude in single-line and block form, dropping comments', () => {
    expect(parseGoMod(traefikGoMod)).toEqual({
      go: '1.26.0',
      godebug: ['x509negativeserial=1'],
      replace: [
        'github.com/traefik/traefik/dynamic/ext => ./pkg/config/dynamic/ext',
        'github.com/abbot/go-http-auth => github.com/containous/go-http-auth v0.4.1-0.20200324110947-a37a7636d23e',
        'github.com/gorilla/mux => github.com/containous/mux v0.0.0-20250523120546-41b6ec3aed59',
      ],
      exclude: ['github.com/tencentcloud/tencentcloud-sdk-go v3.0.83+incompatible'],
    });
  });

  it('copies remote replaces and excludes, and points the nested dynamic/ext module at the stand-in', () => {
    expect(wrapperDirectives(parseGoMod(traefikGoMod)).split('\n')).toEqual([
      'godebug x509negativeserial=1',
      `replace github.com/traefik/traefik/dynamic/ext => ${STANDIN}`,
      'replace github.com/abbot/go-http-auth => github.com/containous/go-http-auth v0.4.1-0.20200324110947-a37a7636d23e',
      'replace github.com/gorilla/mux => github.com/containous/mux v0.0.0-20250523120546-41b6ec3aed59',
      'exclude github.com/tencentcloud/tencentcloud-sdk-go v3.0.83+incompatible',
    ]);
  });

  it('refuses a replace into Traefik\'s own tree that has no stand-in', () => {
    const mod = parseGoMod('module m\n\nreplace github.com/traefik/traefik/other => ./pkg/other\n');
    expect(() => wrapperDirectives(mod)).toThrow(/github\.com\/traefik\/traefik\/other.*stand-in/);
  });
});

describe('get-traefik.mjs', () => {
  let scratch: string;
  let fakeTraefik: string;
  // No `traefik` and no `go` on this PATH: only node's own directory.
  const isolatedPath = path.dirname(process.execPath);

  // Stands in for a Traefik binary: answers `version` the way Traefik does.
  async function writeFakeTraefik(file: string, version: string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `#!/bin/sh\n[ "$1" = version ] || exit 3\nprintf 'Version:      ${version}\\nCodename:     test\\n'\n`);
    await chmod(file, 0o755);
  }

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'mcpauth-get-traefik-'));
    fakeTraefik = path.join(scratch, 'fake-traefik');
    await writeFakeTraefik(fakeTraefik, 'v3.9.1');
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  function run(args: string[], env: Record<string, string>) {
    const result = spawnSync(process.execPath, [SCRIPT, ...args], {
      encoding: 'utf8',
      env: { PATH: isolatedPath, HOME: scratch, MCPAUTH_CACHE_DIR: path.join(scratch, 'cache'), ...env },
      timeout: 60_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it('prints TRAEFIK_BIN when it runs `version`', () => {
    const result = run([], { TRAEFIK_BIN: fakeTraefik });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${fakeTraefik}\n`);
    expect(result.stderr).toContain('v3.9.1');
  });

  it('prefers a `traefik` found on PATH when TRAEFIK_BIN is unset', async () => {
    const binDir = path.join(scratch, 'bin');
    await mkdir(binDir, { recursive: true });
    const onPath = path.join(binDir, 'traefik');
    await copyFile(fakeTraefik, onPath);
    await chmod(onPath, 0o755);
    const result = run([], { PATH: `${binDir}${path.delimiter}${isolatedPath}` });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${onPath}\n`);
  });

  it('ignores a TRAEFIK_BIN that does not run, and says what to install when go is missing', () => {
    const result = run([], { TRAEFIK_BIN: '/bin/false', GO: path.join(scratch, 'no-such-go') });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('does not run `version`');
    expect(result.stderr).toMatch(/no Go toolchain found .*Install Go >= 1\.25/);
    expect(result.stderr).toContain('set TRAEFIK_BIN');
  });

  it('does not accept TRAEFIK_BIN of another version when --version asks for one', () => {
    const result = run(['--version', PINNED_VERSION], { TRAEFIK_BIN: fakeTraefik, GO: path.join(scratch, 'no-such-go') });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`is Traefik v3.9.1, not the requested ${PINNED_VERSION}`);
  });

  it('reuses a cached binary that reports the pinned version, without needing go', async () => {
    const cacheRoot = path.join(scratch, 'cache-ok');
    const cached = path.join(cacheRoot, 'traefik', `traefik-${PINNED_VERSION}`);
    await writeFakeTraefik(cached, PINNED_VERSION);
    const result = run([], { MCPAUTH_CACHE_DIR: cacheRoot, GO: path.join(scratch, 'no-such-go') });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${cached}\n`);
    expect(result.stderr).toContain('using cached');
  });

  it('does not reuse a cached binary that reports another version', async () => {
    const cacheRoot = path.join(scratch, 'cache-stale');
    await writeFakeTraefik(path.join(cacheRoot, 'traefik', `traefik-${PINNED_VERSION}`), 'v3.0.0');
    const result = run([], { MCPAUTH_CACHE_DIR: cacheRoot, GO: path.join(scratch, 'no-such-go') });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('reports another version; rebuilding');
    expect(result.stderr).toContain('no Go toolchain found');
  });

  it('rejects a malformed --version', () => {
    const result = run(['--version', '3.6'], { TRAEFIK_BIN: fakeTraefik });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--version wants a Traefik v3 release');
  });
});
