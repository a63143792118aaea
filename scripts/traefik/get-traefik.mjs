#!/usr/bin/env node
// Prints the absolute path of a runnable Traefik binary on stdout (everything else goes to stderr)
// so tests and benchmarks can run the plugin inside a real Traefik.
//
// Order of preference:
//   1. $TRAEFIK_BIN, if it runs `version`;
//   2. `traefik` on PATH, if it runs `version`;
//   3. a binary built from the Go module proxy at a pinned version, cached in
//      $MCPAUTH_CACHE_DIR/traefik (default <repo>/.cache/traefik) and reused while it still runs.
// With `--version vX.Y.Z` (compatibility runs against an older 3.x line) 1. and 2. are used only
// when they report exactly that version; otherwise that version is built and cached.
// `--rebuild` ignores 1., 2. and the cached binary and builds again.
//
// Why a wrapper module: `go install github.com/traefik/traefik/v3/cmd/traefik@vX` refuses modules
// whose go.mod has replace directives, and replace/exclude directives only apply in the main module.
// So we generate a tiny main module (wrapper.go.mod.tmpl) that requires Traefik at the pinned
// version and carries Traefik's own replace/exclude directives, read from the go.mod that the proxy
// serves for that version. Replaces that point inside Traefik's repository (nested modules, which
// the proxy does not serve) are pointed at the stand-ins under standins/ instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Newest Traefik v3 whose whole dependency graph the module proxy here serves. v3.7.x resolves but
// ~15 of its dependencies (ACME DNS-provider SDKs pulled in by lego v5, and the containous
// go-http-auth fork at its 2026 pseudo-version) are refused by the proxy, so it cannot be built
// unpatched here; later v3.6 patches (up to v3.6.26) are not served at all. The wasm host is the
// same in both lines (pkg/plugins, http-wasm-host-go v0.7.0, wazero v1.8.0), so v3.6.12 runs the
// plugin through exactly the code it meets on v3.7.
export const PINNED_VERSION = 'v3.6.12';
// Older line for compatibility runs (`--version v3.4.4`): the newest 3.4 patch whose module and
// checksum the proxy here serves (v3.4.5, which only bumps quic-go, fails the checksum lookup).
export const COMPAT_VERSION = 'v3.4.4';
const TRAEFIK_MODULE = 'github.com/traefik/traefik/v3';
const TRAEFIK_MAIN_PACKAGE = `${TRAEFIK_MODULE}/cmd/traefik`;
const VERSION_PATTERN = /^v3\.\d+\.\d+$/;

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');

// Replaces in Traefik's go.mod that point at a directory of Traefik's own repository: the module
// zip does not hold nested modules, so each needs a stand-in we ship. Keyed by module path.
const STANDINS = {
  'github.com/traefik/traefik/dynamic/ext': path.join(here, 'standins/dynamic-ext'),
};

const VERSION_CHECK_TIMEOUT_MS = 15_000;
const LOCK_WAIT_LIMIT_MS = 60 * 60 * 1000;
const LOCK_POLL_MS = 2_000;

function log(message) {
  process.stderr.write(`[get-traefik] ${message}\n`);
}

class UsageError extends Error {}

function parseArgs(argv) {
  const options = { version: null, rebuild: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--version') {
      options.version = argv[++i] ?? '';
    } else if (arg.startsWith('--version=')) {
      options.version = arg.slice('--version='.length);
    } else if (arg === '--rebuild') {
      options.rebuild = true;
    } else if (arg === '--help' || arg === '-h') {
      process.stderr.write(
        'usage: node scripts/traefik/get-traefik.mjs [--version vX.Y.Z] [--rebuild]\n' +
          `Prints the path of a Traefik binary. Default version: ${PINNED_VERSION}.\n` +
          'Env: TRAEFIK_BIN (use this binary), MCPAUTH_CACHE_DIR (cache root; binaries go in <it>/traefik),\n' +
          '     GO (the go command to build with; default `go` on PATH, then /usr/local/go/bin/go).\n',
      );
      process.exit(0);
    } else {
      throw new UsageError(`unknown argument ${JSON.stringify(arg)} (try --help)`);
    }
  }
  if (options.version !== null && !VERSION_PATTERN.test(options.version)) {
    throw new UsageError(`--version wants a Traefik v3 release like ${PINNED_VERSION}, got ${JSON.stringify(options.version)}`);
  }
  return options;
}

// Runs `<binary> version` and returns the reported version (e.g. "v3.7.13"), or null when the
// binary does not run or does not look like Traefik.
function probeVersion(binary) {
  const result = spawnSync(binary, ['version'], { encoding: 'utf8', timeout: VERSION_CHECK_TIMEOUT_MS });
  if (result.error || result.status !== 0) return null;
  const match = /^Version:\s*(\S+)/m.exec(result.stdout);
  return match ? match[1] : null;
}

function findOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

// An existing binary is acceptable when it runs and, if a version was asked for, reports it.
function acceptExisting(source, binary, wantedVersion) {
  const reported = probeVersion(binary);
  if (reported === null) {
    log(`${source} ${binary} does not run \`version\`; ignoring it`);
    return null;
  }
  if (wantedVersion !== null && reported !== wantedVersion) {
    log(`${source} ${binary} is Traefik ${reported}, not the requested ${wantedVersion}; ignoring it`);
    return null;
  }
  log(`using ${source} ${binary} (Traefik ${reported})`);
  return path.resolve(binary);
}

function cacheDir() {
  const root = process.env.MCPAUTH_CACHE_DIR ? path.resolve(process.env.MCPAUTH_CACHE_DIR) : path.join(repoRoot, '.cache');
  return path.join(root, 'traefik');
}

// $GO, when set, is the only toolchain tried; otherwise `go` on PATH, then the usual install path.
function findGo() {
  const candidates = process.env.GO ? [process.env.GO] : [findOnPath('go'), '/usr/local/go/bin/go'].filter(Boolean);
  for (const candidate of candidates) {
    const result = spawnSync(candidate, ['version'], { encoding: 'utf8', timeout: VERSION_CHECK_TIMEOUT_MS });
    if (!result.error && result.status === 0) return { go: candidate, goVersion: result.stdout.trim() };
  }
  return null;
}

function runGo(go, args, { cwd, env, capture = false }) {
  return new Promise((resolve, reject) => {
    const child = spawn(go, args, { cwd, env, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      // `go mod download -json` reports its error in the JSON on stdout, not on stderr.
      else reject(new Error(`go ${args.join(' ')} exited with ${code}\n${`${stdout}\n${stderr}`.trim().split('\n').slice(-20).join('\n')}`));
    });
  });
}

// go.mod reader: just enough for `go`, `godebug`, `replace` and `exclude`, single-line or block
// form. Comments are dropped. Returns raw directive bodies (what follows the keyword).
export function parseGoMod(text) {
  const out = { go: null, godebug: [], replace: [], exclude: [] };
  let block = null;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\/\/.*$/, '').trim();
    if (!line) continue;
    if (block) {
      if (line === ')') block = null;
      else if (block in out && block !== 'go') out[block].push(line);
      continue;
    }
    const blockStart = /^(\w+)\s*\($/.exec(line);
    if (blockStart) {
      block = blockStart[1];
      continue;
    }
    const single = /^(\w+)\s+(.+)$/.exec(line);
    if (!single) continue;
    const [, keyword, body] = single;
    if (keyword === 'go') out.go = body;
    else if (keyword in out) out[keyword].push(body);
  }
  return out;
}

// Turns Traefik's replace/exclude/godebug directives into wrapper directives, swapping replaces
// that point at a local directory for our stand-ins.
export function wrapperDirectives(mod) {
  const lines = [];
  for (const body of mod.godebug) lines.push(`godebug ${body}`);
  for (const body of mod.replace) {
    const match = /^(\S+)(\s+\S+)?\s*=>\s*(\S+)(\s+\S+)?$/.exec(body);
    if (!match) throw new Error(`cannot read replace directive ${JSON.stringify(body)}`);
    const [, from, fromVersion = '', to] = match;
    const isLocal = to.startsWith('./') || to.startsWith('../') || path.isAbsolute(to);
    if (!isLocal) {
      lines.push(`replace ${body}`);
      continue;
    }
    const standin = STANDINS[from];
    if (!standin) {
      throw new Error(
        `Traefik's go.mod replaces ${from} with its own directory ${to}; add a stand-in module for it ` +
          'under scripts/traefik/standins/ and list it in STANDINS',
      );
    }
    lines.push(`replace ${from}${fromVersion} => ${standin}`);
  }
  for (const body of mod.exclude) lines.push(`exclude ${body}`);
  return lines.join('\n');
}

async function withBuildLock(dir, version, work) {
  const lockDir = path.join(dir, `.lock-${version}`);
  const started = Date.now();
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = Number(await readFile(path.join(lockDir, 'pid'), 'utf8').catch(() => '0'));
      if (holder > 0 && !isAlive(holder)) {
        log(`removing stale build lock of pid ${holder}`);
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - started > LOCK_WAIT_LIMIT_MS) throw new Error(`gave up waiting for the build lock ${lockDir}`);
      if (Date.now() - started < LOCK_POLL_MS) log(`another process (pid ${holder || '?'}) is building ${version}; waiting`);
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

async function buildTraefik(version, binary, dir) {
  const found = findGo();
  if (!found) {
    throw new Error(
      `no Go toolchain found (looked at ${process.env.GO ? `$GO=${process.env.GO}` : '`go` on PATH and /usr/local/go/bin/go'}). Install Go >= 1.25 (what Traefik v3.6 asks for) ` +
        '(e.g. `apt-get install golang-go` if it is new enough, or the official Go tarball into /usr/local/go) ' +
        'so Traefik can be built, or set TRAEFIK_BIN=/path/to/traefik (a Traefik v3 binary).',
    );
  }
  const { go, goVersion } = found;
  log(`building Traefik ${version} with ${goVersion}; a cold build downloads ~400 modules and took 20-50 minutes on 2 shared cores (1-2 minutes when Go's build cache is warm)`);
  const env = { ...process.env, GO111MODULE: 'on', GOWORK: 'off' };

  // The go.mod Traefik publishes for this version, from the module cache (downloaded if needed).
  const info = JSON.parse(await runGo(go, ['mod', 'download', '-json', `${TRAEFIK_MODULE}@${version}`], { cwd: dir, env, capture: true }));
  if (info.Error) throw new Error(`cannot download ${TRAEFIK_MODULE}@${version}: ${info.Error}`);
  const traefikMod = parseGoMod(await readFile(info.GoMod, 'utf8'));

  const wrapperDir = path.join(dir, `wrapper-${version}`);
  await mkdir(wrapperDir, { recursive: true });
  const template = await readFile(path.join(here, 'wrapper.go.mod.tmpl'), 'utf8');
  const goMod = template
    .replaceAll('{{GO_VERSION}}', traefikMod.go ?? '1.22')
    .replaceAll('{{TRAEFIK_VERSION}}', version)
    .replaceAll('{{DIRECTIVES}}', wrapperDirectives(traefikMod));
  // Keep go.sum from an earlier attempt (it only grows); rewrite go.mod so template changes apply.
  await writeFile(path.join(wrapperDir, 'go.mod'), goMod);

  const partial = `${binary}.partial-${process.pid}`;
  const ldflags = `-s -w -X ${TRAEFIK_MODULE}/pkg/version.Version=${version}`;
  // -mod=mod lets go resolve the dependency graph and write go.sum for the generated module.
  try {
    await runGo(go, ['build', '-mod=mod', '-trimpath', '-ldflags', ldflags, '-o', partial, TRAEFIK_MAIN_PACKAGE], { cwd: wrapperDir, env });
    await chmod(partial, 0o755);
    const reported = probeVersion(partial);
    if (reported !== version) {
      throw new Error(`the freshly built binary reports version ${reported ?? '(does not run)'}, expected ${version}`);
    }
    await rename(partial, binary);
  } finally {
    await rm(partial, { force: true });
  }
}

async function getTraefik(options) {
  if (!options.rebuild) {
    if (process.env.TRAEFIK_BIN) {
      const accepted = acceptExisting('TRAEFIK_BIN', process.env.TRAEFIK_BIN, options.version);
      if (accepted) return accepted;
    }
    const onPath = findOnPath('traefik');
    if (onPath) {
      const accepted = acceptExisting('PATH traefik', onPath, options.version);
      if (accepted) return accepted;
    }
  }

  const version = options.version ?? PINNED_VERSION;
  const dir = cacheDir();
  await mkdir(dir, { recursive: true });
  const binary = path.join(dir, `traefik-${version}`);
  const cachedOk = () => existsSync(binary) && probeVersion(binary) === version;

  if (!options.rebuild && cachedOk()) {
    log(`using cached ${binary}`);
    return binary;
  }
  await withBuildLock(dir, version, async () => {
    // Another process may have finished the build while we waited for the lock.
    if (!options.rebuild && cachedOk()) return;
    if (existsSync(binary)) {
      log(`cached ${binary} does not run or reports another version; rebuilding`);
      await rm(binary, { force: true });
    }
    const started = Date.now();
    await buildTraefik(version, binary, dir);
    const { size } = await stat(binary);
    log(`built ${binary} (${(size / 1e6).toFixed(1)} MB) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });
  return binary;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    const binary = await getTraefik(parseArgs(process.argv.slice(2)));
    process.stdout.write(`${binary}\n`);
  } catch (error) {
    log(`error: ${error.message}`);
    if (/403 Forbidden|not available|sumdb/.test(error.message)) {
      log(
        'the Go module proxy refused part of this version (the module, its checksum or a dependency); ' +
          `the default ${PINNED_VERSION} and the compatibility line ${COMPAT_VERSION} are known to build here`,
      );
    }
    if (!(error instanceof UsageError)) {
      log('to skip the build, set TRAEFIK_BIN to an existing Traefik v3 binary (or put `traefik` on PATH)');
    }
    process.exit(error instanceof UsageError ? 2 : 1);
  }
}
