// The deployment files (docker-compose.yml, the Dockerfiles, .dockerignore, deploy/traefik/*,
// deploy/middleware-manager/templates.yml, the README section) cannot be run here: no Docker
// engine. So they are parsed and checked against each other and against the code they deploy:
// - the plugin's module name and key agree between compose, static config, dynamic config, labels,
//   templates and the README, and the deployed plugin options are run through the built plugin;
// - the real sidecar is started from the compose environment (its paths mapped onto temporary
//   directories standing in for the named volumes): it writes JWKS_FILE, which the plugin then
//   loads at the path its `jwksFile` names through Traefik's mounts; its forwardAuth endpoint,
//   health check and the redirect target of the /.well-known middleware answer as configured;
// - ports, service names, env names, volume paths and the images' build steps agree.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startDemoServer, type RunningDemoServer } from '../../demo-mcp-server/src/server.js';
import { loadConfig, SETTINGS, type SidecarConfig } from '../../sidecar/src/config.js';
import type { RunningSidecar } from '../../sidecar/src/server.js';
import { HttpWasmHost } from '../host/index.js';
import { repoRoot } from '../lib/harness.js';
import { interpolate, InterpolationError, mountHolding, parseVolume, type ComposeService } from './lib/compose.js';
import { startComposeSidecar, type ComposeSidecar } from './lib/compose-sidecar.js';
import { commentedCatalogVariant, FILES, loadDeployFiles, OPERATOR_ENV, PLUGIN_KEY, read, SERVICES, type DeployFiles, type Tree } from './lib/deploy-files.js';
import { execForm, healthcheckCommand, instructions, parseCopy, parseEnv, type Dockerfile, type Stage } from './lib/dockerfile.js';
import { dockerignoreMatcher } from './lib/dockerignore.js';
import { labelForm, labelsToConfig } from './lib/labels.js';
import { accessTokenClaims } from './lib/sidecar-token.js';
import { applyRedirectRegex, guestPathOf, hostPathOf, parsePluginMount, ruleArguments, type PluginMount } from './lib/traefik-config.js';

const PLUGIN_WASM = path.join(repoRoot, 'build/plugin.wasm');
const PRM_PATH = '/.well-known/oauth-protected-resource';

let files: DeployFiles;
let sidecarService: ComposeService;
let traefikService: ComposeService;
/** the sidecar's configuration as loadConfig reads the compose environment */
let config: SidecarConfig;
let stack: ComposeSidecar;
let sidecar: RunningSidecar;

const middlewares = (dynamic: Tree): Tree => dynamic.http.middlewares;
const routers = (dynamic: Tree): Tree => dynamic.http.routers;
const pluginOptionsOf = (dynamic: Tree): Tree => middlewares(dynamic)['mcp-auth'].plugin[PLUGIN_KEY];
const localPluginMounts = (staticConfig: Tree): PluginMount[] =>
  (staticConfig.experimental.localPlugins[PLUGIN_KEY].settings.mounts as string[]).map(parsePluginMount);
const mcpHost = (): string => new URL(config.resources[0]!).host;
const resourceMetadataUrl = (resource: string): string => {
  const url = new URL(resource);
  return `${url.origin}${PRM_PATH}${url.pathname === '/' ? '' : url.pathname}`;
};
const hostPathFor = (service: ComposeService, containerPath: string): string => stack.hostPathFor(service, containerPath);

async function pluginHost(options: Tree): Promise<HttpWasmHost> {
  return HttpWasmHost.create(PLUGIN_WASM, { config: options, mounts: stack.pluginMounts(files.staticConfig) });
}

function runNode(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env: { ...process.env, ...env }, timeout: 15_000 }, (error) => {
      resolve(error ? (typeof error.code === 'number' ? error.code : 1) : 0);
    });
  });
}

beforeAll(async () => {
  if (!existsSync(PLUGIN_WASM)) throw new Error('build/plugin.wasm is missing: run `npm run build` first');
  files = loadDeployFiles();
  sidecarService = files.compose.services[SERVICES.sidecar]!;
  traefikService = files.compose.services[SERVICES.traefik]!;
  config = loadConfig(sidecarService.environment!);
  stack = await startComposeSidecar(files, 'files');
  sidecar = stack.sidecar;
});

afterAll(async () => {
  await stack?.stop();
});

describe('the plugin module name and key', () => {
  const readmeModuleName = (): string => {
    const match = /localPlugins:\s*\n\s*mcpauth:\s*\n\s*moduleName:\s*(\S+)/.exec(files.readme);
    expect(match, 'README.md shows experimental.localPlugins.mcpauth.moduleName').not.toBeNull();
    return match![1]!;
  };

  test('static.yml, static-docker.yml, the catalog variant and the compose mount use the README\'s module name', () => {
    const moduleName = readmeModuleName();
    expect(moduleName).toBe('github.com/mcpauth/mcpauth');
    expect(files.staticConfig.experimental.localPlugins[PLUGIN_KEY].moduleName).toBe(moduleName);
    expect(files.staticDocker.experimental.localPlugins[PLUGIN_KEY].moduleName).toBe(moduleName);
    const catalog = commentedCatalogVariant(files.staticText);
    expect(catalog?.plugins?.[PLUGIN_KEY]?.moduleName).toBe(moduleName);
    expect(catalog?.plugins?.[PLUGIN_KEY]?.version).toBe(`v${files.packageJson.version}`);
    expect(catalog?.plugins?.[PLUGIN_KEY]?.settings).toEqual(files.staticConfig.experimental.localPlugins[PLUGIN_KEY].settings);

    // Traefik reads a local plugin from ./plugins-local/src/<moduleName> in its working directory (/).
    const pluginMount = traefikService.volumes!.map(parseVolume).find((v) => v.target.startsWith('/plugins-local/'));
    expect(pluginMount).toEqual({ source: './traefik-plugin', target: `/plugins-local/src/${moduleName}`, readOnly: true, kind: 'bind' });
  });

  test('the mounted ./traefik-plugin holds what Traefik loads: .traefik.yml and its wasmPath', () => {
    const manifest = readFileSync(path.join(repoRoot, 'traefik-plugin/.traefik.yml'), 'utf8');
    const wasmPath = /^wasmPath:\s*(\S+)/m.exec(manifest)?.[1];
    expect(/^runtime:\s*wasm$/m.test(manifest)).toBe(true);
    expect(wasmPath).toBe('plugin.wasm');
    expect(readFileSync(path.join(repoRoot, 'traefik-plugin', wasmPath!)).equals(readFileSync(PLUGIN_WASM)), 'traefik-plugin/plugin.wasm is the built plugin').toBe(true);
  });

  test('every plugin middleware uses the key the plugin is declared under', () => {
    const declared = Object.keys(files.staticConfig.experimental.localPlugins);
    expect(declared).toEqual([PLUGIN_KEY]);
    const usedKeys = (mws: Tree): string[] => Object.values(mws).flatMap((mw: Tree) => (mw.plugin ? Object.keys(mw.plugin) : []));
    expect(usedKeys(middlewares(files.dynamicPlugin))).toEqual([PLUGIN_KEY]);
    expect(usedKeys(middlewares(labelConfig()))).toEqual([PLUGIN_KEY]);
    const templatePlugins = (files.templates.middlewares as Tree[]).filter((t) => t.type === 'plugin').flatMap((t) => Object.keys(t.config));
    expect(templatePlugins).toEqual([PLUGIN_KEY]);
  });
});

/** The Traefik configuration the labels of the compose + labels override describe. */
function labelConfig(): Tree {
  const services = files.composeWithLabels.services;
  const merged: Tree = { http: { routers: {}, middlewares: {}, services: {} } };
  for (const name of [SERVICES.demo, SERVICES.sidecar]) {
    const http = (labelsToConfig(services[name]!.labels ?? {}) as Tree).http ?? {};
    for (const section of ['routers', 'middlewares', 'services']) Object.assign(merged.http[section], http[section] ?? {});
  }
  return merged;
}

describe('the plugin accepts the deployed options', () => {
  const optionsFrom: Record<string, () => Tree> = {
    'dynamic.yml': () => pluginOptionsOf(files.dynamicPlugin),
    'the Docker labels (all strings)': () => pluginOptionsOf(labelConfig()),
    'the middleware-manager template': () => (files.templates.middlewares as Tree[]).find((t) => t.id === PLUGIN_KEY)!.config[PLUGIN_KEY],
  };
  const sources = (): Array<[string, Tree]> => Object.entries(optionsFrom).map(([source, options]) => [source, options()]);

  test.each(Object.keys(optionsFrom))('%s: no token is 401 with the challenge, the metadata is 200, the sidecar\'s keys load', async (source) => {
    const options = optionsFrom[source]!();
    const host = await pluginHost(options);
    const resource = config.resources[0]!;
    const noToken = await host.handle({ method: 'POST', uri: '/mcp', host: mcpHost(), headers: [['content-type', 'application/json']], body: '{}' });
    expect(noToken.trapped, source).toBe(false);
    expect(noToken.status, `${source}: ${noToken.text()} ${JSON.stringify(noToken.logs)}`).toBe(401);
    expect(noToken.header('www-authenticate')).toBe(`Bearer resource_metadata="${resourceMetadataUrl(resource)}", scope="${config.requiredScopes.join(' ')}"`);

    const metadata = await host.handle({ method: 'GET', uri: new URL(resourceMetadataUrl(resource)).pathname, host: mcpHost() });
    expect(metadata.status, source).toBe(200);
    expect(metadata.json()).toMatchObject({ resource, authorization_servers: [config.issuer], scopes_supported: config.requiredScopes });

    // the JWKS file the sidecar wrote, read through the volume and Traefik's settings.mounts
    const guestFile = options.issuers[0].jwksFile;
    expect(noToken.logs.map((l) => l.message)).toContain(`mcpauth: issuer "${config.issuer}" loaded 1 key(s) from ${guestFile}`);
  });

  test.each(Object.keys(optionsFrom))('%s: a token signed with the sidecar\'s key reaches the MCP server on /mcp, /sse and /messages', async (source) => {
    const options = optionsFrom[source]!();
    const host = await pluginHost(options);
    const { email, token } = await stack.allowedUserToken();
    for (const uri of ['/mcp', '/sse', '/messages?sessionId=abc']) {
      const r = await host.handle({ method: uri === '/sse' ? 'GET' : 'POST', uri, host: mcpHost(), headers: [['authorization', `Bearer ${token}`]] });
      expect(r.status, `${source} ${uri}: ${r.text()} ${JSON.stringify(r.logs)}`).toBe(200);
      expect(r.next).toBe(true);
      expect(r.upstreamRequest?.header('x-forwarded-user')).toBe(email);
      expect(r.upstreamRequest?.header('authorization')).toBeUndefined();
    }

    // The allowlist is the sidecar's ALLOWED_EMAILS: another domain is refused in the proxy too.
    const outsider = await stack.signAccessToken(accessTokenClaims(config, 'mallory@elsewhere.example'));
    const refused = await host.handle({ method: 'POST', uri: '/mcp', host: mcpHost(), headers: [['authorization', `Bearer ${outsider}`]] });
    expect(refused.status, source).toBe(403);
    // The audience is the sidecar's RESOURCE: a token for another resource is refused.
    const otherAudience = await stack.signAccessToken(accessTokenClaims(config, email, { aud: 'https://other.example.com' }));
    expect((await host.handle({ method: 'POST', uri: '/mcp', host: mcpHost(), headers: [['authorization', `Bearer ${otherAudience}`]] })).status).toBe(401);
  });

  test('the plugin options agree with the sidecar\'s settings', () => {
    for (const [source, options] of sources()) {
      const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : String(value).split(','));
      expect(options.resource, source).toBe(config.resources[0]);
      expect(list(options.requiredScopes), source).toEqual(config.requiredScopes);
      expect(list(options.allowedEmails), source).toEqual(config.allowedEmails);
      expect(options.issuers, source).toHaveLength(1);
      expect(options.issuers[0].issuer, source).toBe(config.issuer);
    }
  });
});

describe('the JWKS file path', () => {
  test('JWKS_FILE is on the volume the sidecar writes and Traefik mounts read-only, at the path jwksFile names in the plugin', () => {
    const jwksFile = config.jwksFile!;
    const inSidecar = mountHolding(sidecarService, jwksFile)!;
    expect(inSidecar.mount).toMatchObject({ kind: 'volume', readOnly: false });
    const inTraefik = traefikService.volumes!.map(parseVolume).filter((v) => v.source === inSidecar.mount.source);
    expect(inTraefik).toHaveLength(1);
    expect(inTraefik[0]!.readOnly).toBe(true);
    // where Traefik sees the file, then where the plugin sees it through settings.mounts
    const traefikPath = `${inTraefik[0]!.target}/${inSidecar.relative}`;
    for (const staticConfig of [files.staticConfig, files.staticDocker]) {
      const mounts = localPluginMounts(staticConfig);
      expect(mounts.every((m) => m.readOnly)).toBe(true);
      const guestPath = guestPathOf(mounts, traefikPath);
      expect(guestPath).toBeDefined();
      for (const dynamic of [files.dynamicPlugin, labelConfig()]) {
        expect(pluginOptionsOf(dynamic).issuers[0].jwksFile).toBe(guestPath);
        expect(hostPathOf(mounts, guestPath!)).toBe(traefikPath);
      }
      const template = (files.templates.middlewares as Tree[]).find((t) => t.id === PLUGIN_KEY)!;
      expect(template.config[PLUGIN_KEY].issuers[0].jwksFile).toBe(guestPath);
    }
  });

  test('the sidecar\'s database is on its own volume, which Traefik does not get', () => {
    const data = mountHolding(sidecarService, config.dataDir)!;
    expect(data.mount.kind).toBe('volume');
    expect(data.mount.source).not.toBe(mountHolding(sidecarService, config.jwksFile!)!.mount.source);
    for (const service of Object.entries(files.compose.services).filter(([name]) => name !== SERVICES.sidecar)) {
      expect(service[1].volumes?.map(parseVolume).map((v) => v.source) ?? [], service[0]).not.toContain(data.mount.source);
    }
  });

  test('the sidecar wrote its public keys there, and only public keys', () => {
    const written = JSON.parse(readFileSync(hostPathFor(sidecarService, config.jwksFile!), 'utf8')) as { keys: Tree[] };
    expect(written.keys).toHaveLength(1);
    for (const jwk of written.keys) for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwk).not.toHaveProperty(privateMember);
  });

  test('the image creates the volume directories owned by the sidecar\'s user', () => {
    const runtime = finalStage(files.sidecarDockerfile);
    const user = instructions(runtime, 'USER').at(-1)!.args;
    const runs = instructions(runtime, 'RUN').map((i) => i.args).join('\n');
    for (const mount of sidecarService.volumes!.map(parseVolume)) {
      expect(runs).toContain(mount.target);
      expect(runs).toMatch(new RegExp(`chown ${user}:${user} [^\\n]*${mount.target.replace(/[/.]/g, '\\$&')}`));
    }
  });
});

describe('docker-compose.yml', () => {
  test('every file it mounts from the repository exists', () => {
    for (const [name, service] of Object.entries(files.compose.services)) {
      for (const mount of (service.volumes ?? []).map(parseVolume).filter((v) => v.kind === 'bind' && v.source.startsWith('./'))) {
        expect(existsSync(path.join(repoRoot, mount.source)), `${name}: ${mount.source}`).toBe(true);
        expect(mount.readOnly, `${name}: ${mount.source}`).toBe(true);
      }
    }
  });

  test('MCPAUTH_DYNAMIC_CONFIG switches Traefik to the forwardAuth file', () => {
    const dynamicMount = (env: Record<string, string | undefined>) =>
      loadDeployFiles(env).compose.services[SERVICES.traefik]!.volumes!.map(parseVolume).find((v) => v.target === files.staticConfig.providers.file.filename)!;
    expect(dynamicMount(OPERATOR_ENV).source).toBe(`./${FILES.dynamicPlugin}`);
    expect(dynamicMount({ ...OPERATOR_ENV, MCPAUTH_DYNAMIC_CONFIG: path.basename(FILES.dynamicForwardAuth) }).source).toBe(`./${FILES.dynamicForwardAuth}`);
  });

  test('the images are built from the repository root with their Dockerfiles; Traefik is v3.6', () => {
    expect(traefikService.image).toBe('traefik:v3.6');
    expect(files.compose.services[SERVICES.sidecar]!.build).toEqual({ context: '.', dockerfile: FILES.sidecarDockerfile });
    expect(files.compose.services[SERVICES.demo]!.build).toEqual({ context: '.', dockerfile: FILES.demoDockerfile });
  });

  test('Traefik starts once the sidecar is healthy, so the key file exists when the plugin first reads it', () => {
    expect(traefikService.depends_on?.[SERVICES.sidecar]).toEqual({ condition: 'service_healthy' });
    expect(sidecarService.healthcheck).toBeDefined();
  });
});

describe('the sidecar environment in docker-compose.yml', () => {
  test('every variable is a sidecar setting, with the old tool\'s names for the old settings', () => {
    const names = Object.keys(sidecarService.environment!);
    for (const name of names) expect(SETTINGS as readonly string[], name).toContain(name);
    for (const old of ['PORT', 'OAUTH_DOMAIN', 'CLIENT_ID', 'CLIENT_SECRET', 'ALLOWED_EMAILS', 'LOG_LEVEL']) expect(names).toContain(old);
    for (const added of ['RESOURCE', 'JWKS_FILE', 'DATA_DIR']) expect(names).toContain(added);
  });

  test('loadConfig accepts it: issuer from OAUTH_DOMAIN, Google upstream, the proxy trusted', () => {
    expect(config.issuer).toBe(`https://${sidecarService.environment!.OAUTH_DOMAIN}`);
    expect(config.upstream.issuer).toBe('https://accounts.google.com');
    expect(config.upstream.clientId).toBe(OPERATOR_ENV.CLIENT_ID);
    expect(config.trustProxy).toBe(true);
    expect(config.port).toBe(11000);
  });

  test('the client credentials come from the operator\'s environment and are required', () => {
    for (const secret of ['CLIENT_ID', 'CLIENT_SECRET']) {
      expect(files.composeText).toMatch(new RegExp(`${secret}: \\$\\{${secret}:\\?`));
      expect(() => loadDeployFiles({ ...OPERATOR_ENV, [secret]: undefined })).toThrow(InterpolationError);
    }
    // interpolation itself: defaults, required values and $$
    expect(interpolate('a ${X:-d} $${1} ${Y}', { Y: 'y' })).toBe('a d ${1} y');
  });

  test('the image\'s own defaults are sidecar settings too, and agree with compose', () => {
    const env = Object.assign({}, ...instructions(finalStage(files.sidecarDockerfile), 'ENV').map((i) => parseEnv(i.args))) as Record<string, string>;
    for (const name of Object.keys(env).filter((n) => n !== 'NODE_ENV')) expect(SETTINGS as readonly string[], name).toContain(name);
    expect(env.PORT).toBe(sidecarService.environment!.PORT);
    expect(env.DATA_DIR).toBe(sidecarService.environment!.DATA_DIR);
  });
});

function finalStage(dockerfile: Dockerfile): Stage {
  return dockerfile.stages.at(-1)!;
}

const exposed = (dockerfile: Dockerfile): string[] => instructions(finalStage(dockerfile), 'EXPOSE').flatMap((i) => i.args.split(/\s+/));

describe('ports and service names', () => {
  const servicePort = (dynamic: Tree, name: string): URL => new URL(dynamic.http.services[name].loadBalancer.servers[0].url);

  test('the sidecar: PORT = EXPOSE = health checks = Traefik\'s service URL = forwardAuth address', () => {
    const port = sidecarService.environment!.PORT!;
    expect(exposed(files.sidecarDockerfile)).toEqual([port]);
    expect(sidecarService.expose).toEqual([port]);
    const composeCheck = sidecarService.healthcheck!.test.join(' ');
    expect(composeCheck).toContain(`http://127.0.0.1:${port}/health`);
    const imageCheck = healthcheckCommand(instructions(finalStage(files.sidecarDockerfile), 'HEALTHCHECK')[0]!.args)!.join(' ');
    expect(imageCheck).toContain(`process.env.PORT||${port})+'/health'`);
    for (const dynamic of [files.dynamicPlugin, files.dynamicForwardAuth]) {
      const url = servicePort(dynamic, SERVICES.sidecar);
      expect(`${url.protocol}//${url.host}`).toBe(`http://${SERVICES.sidecar}:${port}`);
    }
    expect(labelConfig().http.services[SERVICES.sidecar].loadbalancer.server.port).toBe(port);
    const forwardAuth = new URL(middlewares(files.dynamicForwardAuth)['mcp-auth'].forwardAuth.address);
    expect(forwardAuth.href).toBe(`http://${SERVICES.sidecar}:${port}/auth`);
  });

  test('the demo MCP server: PORT = EXPOSE = health check = Traefik\'s service URL', () => {
    const port = files.compose.services[SERVICES.demo]!.environment!.PORT!;
    expect(exposed(files.demoDockerfile)).toEqual([port]);
    const env = Object.assign({}, ...instructions(finalStage(files.demoDockerfile), 'ENV').map((i) => parseEnv(i.args))) as Record<string, string>;
    expect(env.PORT).toBe(port);
    expect(env.HOST).toBe('0.0.0.0');
    const imageCheck = healthcheckCommand(instructions(finalStage(files.demoDockerfile), 'HEALTHCHECK')[0]!.args)!.join(' ');
    expect(imageCheck).toContain(`process.env.PORT||${port})+'/health'`);
    for (const dynamic of [files.dynamicPlugin, files.dynamicForwardAuth]) {
      expect(servicePort(dynamic, SERVICES.demo).href).toBe(`http://${SERVICES.demo}:${port}/`);
    }
    expect(labelConfig().http.services[SERVICES.demo].loadbalancer.server.port).toBe(port);
  });

  test('Traefik publishes 80 and 443, the entry points it listens on; nothing else is published', () => {
    expect(traefikService.ports).toEqual(['80:80', '443:443']);
    expect((Object.values(files.staticConfig.entryPoints) as Tree[]).map((e) => e.address)).toEqual([':80', ':443']);
    for (const [name, service] of Object.entries(files.compose.services)) if (name !== SERVICES.traefik) expect(service.ports, name).toBeUndefined();
  });

  test('the health check commands work: against the running sidecar and demo server, and fail when nothing listens', async () => {
    const demo: RunningDemoServer = await startDemoServer({ port: 0, host: '127.0.0.1' });
    try {
      const demoPort = new URL(demo.url).port;
      const demoCheck = healthcheckCommand(instructions(finalStage(files.demoDockerfile), 'HEALTHCHECK')[0]!.args)!;
      const sidecarCheck = healthcheckCommand(instructions(finalStage(files.sidecarDockerfile), 'HEALTHCHECK')[0]!.args)!;
      const composeCheck = sidecarService.healthcheck!.test;
      expect(composeCheck[0]).toBe('CMD');
      expect(sidecarCheck[0]).toBe('node');
      const sidecarPort = String(sidecar.port);
      expect(await runNode(sidecarCheck.slice(1), { PORT: sidecarPort })).toBe(0);
      expect(await runNode(demoCheck.slice(1), { PORT: demoPort })).toBe(0);
      const composeArgs = composeCheck.slice(2).map((a) => a.replace(':11000/', `:${sidecarPort}/`));
      expect(await runNode(composeArgs, {})).toBe(0);
      expect(await runNode(sidecarCheck.slice(1), { PORT: demoPort === '1' ? '2' : '1' })).toBe(1);
    } finally {
      await demo.close();
    }
  });
});

describe('the middleware chain', () => {
  const dynamics = (): Array<[string, Tree]> => [
    [FILES.dynamicPlugin, files.dynamicPlugin],
    [FILES.dynamicForwardAuth, files.dynamicForwardAuth],
  ];

  test('the MCP router runs CORS, the /.well-known redirect, then auth, on the resource\'s host', () => {
    for (const [name, dynamic] of dynamics()) {
      const mcp = routers(dynamic).mcp;
      expect(mcp.middlewares, name).toEqual(['mcp-cors', 'mcp-well-known', 'mcp-auth']);
      for (const mw of mcp.middlewares) expect(middlewares(dynamic)[mw], `${name} ${mw}`).toBeDefined();
      expect(ruleArguments(mcp.rule, 'Host'), name).toEqual([mcpHost()]);
      expect(mcp.service).toBe(SERVICES.demo);
    }
  });

  test('CORS lets browser MCP clients send their headers and read the challenge', () => {
    for (const [name, dynamic] of dynamics()) {
      const cors = middlewares(dynamic)['mcp-cors'].headers;
      expect(cors.accessControlAllowHeaders, name).toEqual(expect.arrayContaining(['Authorization', 'Content-Type', 'Mcp-Session-Id', 'Mcp-Protocol-Version']));
      expect(cors.accessControlExposeHeaders, name).toEqual(expect.arrayContaining(['WWW-Authenticate', 'Mcp-Session-Id']));
      expect(cors.accessControlAllowMethods, name).toEqual(expect.arrayContaining(['GET', 'POST', 'DELETE', 'OPTIONS']));
      expect(cors.accessControlAllowOriginList, name).toBeDefined();
      expect(cors.accessControlAllowCredentials ?? false, name).toBe(false);
    }
    expect(middlewares(files.dynamicForwardAuth)['mcp-cors']).toEqual(middlewares(files.dynamicPlugin)['mcp-cors']);
  });

  test('the redirect sends the authorization server metadata asked of the MCP host to the sidecar\'s issuer, and nothing else', async () => {
    const redirects: Array<[string, Tree]> = [
      ...dynamics().map(([name, dynamic]): [string, Tree] => [name, middlewares(dynamic)['mcp-well-known'].redirectRegex]),
      ['labels', labelConfig().http.middlewares['mcp-well-known'].redirectregex],
      ['template', (files.templates.middlewares as Tree[]).find((t) => t.id === 'mcp-redirect-regex')!.config],
    ];
    const origin = `https://${mcpHost()}`;
    for (const [name, redirect] of redirects) {
      for (const doc of ['oauth-authorization-server', 'openid-configuration']) {
        for (const suffix of ['', '/mcp', '?x=1']) {
          expect(applyRedirectRegex(redirect as never, `${origin}/.well-known/${doc}${suffix}`), `${name} ${doc}${suffix}`).toBe(`${config.issuer}/.well-known/${doc}`);
        }
      }
      for (const pass of [PRM_PATH, `${PRM_PATH}/mcp`, '/mcp', '/sse', '/.well-known/oauth-authorization-serverx', '/x/.well-known/openid-configuration']) {
        expect(applyRedirectRegex(redirect as never, `${origin}${pass}`), `${name} ${pass}`).toBeUndefined();
      }
    }
    // and the sidecar serves those documents for that issuer
    for (const doc of ['oauth-authorization-server', 'openid-configuration']) {
      const target = new URL(applyRedirectRegex(redirects[0]![1] as never, `${origin}/.well-known/${doc}`)!);
      const response = await fetch(`${sidecar.url}${target.pathname}`);
      expect(response.status, doc).toBe(200);
      expect(((await response.json()) as Tree).issuer).toBe(config.issuer);
    }
  });

  test('the sidecar\'s router: its issuer\'s host, /metrics kept off', () => {
    for (const [name, dynamic] of dynamics()) {
      const router = routers(dynamic).mcpauth;
      expect(ruleArguments(router.rule, 'Host'), name).toEqual([new URL(config.issuer).host]);
      expect(ruleArguments(router.rule, 'PathPrefix'), name).toEqual(['!/metrics']);
      expect(router.rule).toMatch(/&& !PathPrefix/);
      expect(router.service).toBe(SERVICES.sidecar);
      expect(router).toEqual(routers(files.dynamicPlugin).mcpauth);
    }
  });

  test('every router is on the TLS entry point with the certificate resolver static.yml declares', () => {
    const resolvers = Object.keys(files.staticConfig.certificatesResolvers);
    for (const [name, dynamic] of dynamics()) {
      for (const [routerName, router] of Object.entries(routers(dynamic)) as Array<[string, Tree]>) {
        expect(router.entryPoints, `${name} ${routerName}`).toEqual(['websecure']);
        expect(resolvers, `${name} ${routerName}`).toContain(router.tls.certResolver);
        expect(files.staticConfig.entryPoints).toHaveProperty(router.entryPoints[0]);
      }
    }
    expect(files.staticConfig.providers.file.filename).toBe(parseVolume(traefikService.volumes!.find((v) => v.includes('/etc/traefik/dynamic.yml'))!).target);
    const acme = mountHolding(traefikService, files.staticConfig.certificatesResolvers.letsencrypt.acme.storage)!;
    expect(acme.mount.kind).toBe('volume');
  });
});

describe('forwardAuth mode', () => {
  const forwardAuth = (): Tree => middlewares(files.dynamicForwardAuth)['mcp-auth'].forwardAuth;

  test('forwardAuth asks the sidecar\'s /auth, takes X-Forwarded-User from it and drops the client\'s token', () => {
    expect(forwardAuth().address).toBe(`http://${SERVICES.sidecar}:${config.port}/auth`);
    expect(forwardAuth().authResponseHeaders).toEqual(['X-Forwarded-User', 'Authorization']);
    // the sidecar must judge the URI Traefik received, never an X-Forwarded-Uri the client sent
    expect(forwardAuth().trustForwardHeader).toBe(false);
    const template = (files.templates.middlewares as Tree[]).find((t) => t.id === 'mcpauth-forward-auth')!;
    expect(template.type).toBe('forwardAuth');
    expect(template.config).toEqual(forwardAuth());
  });

  test('the entry points as shipped trust no client-sent X-Forwarded-* headers', () => {
    for (const staticConfig of [files.staticConfig, files.staticDocker]) {
      for (const entryPoint of Object.values(staticConfig.entryPoints) as Tree[]) expect(entryPoint.forwardedHeaders).toBeUndefined();
    }
  });

  test('the sidecar answers forwardAuth as the plugin does: 401 with the same challenge without a token', async () => {
    const address = new URL(forwardAuth().address);
    const response = await fetch(`${sidecar.url}${address.pathname}`, {
      headers: { 'X-Forwarded-Method': 'POST', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': mcpHost(), 'X-Forwarded-Uri': '/mcp' },
    });
    expect(response.status).toBe(401);
    const host = await pluginHost(pluginOptionsOf(files.dynamicPlugin));
    const plugin = await host.handle({ method: 'POST', uri: '/mcp', host: mcpHost() });
    expect(response.headers.get('www-authenticate')).toBe(plugin.header('www-authenticate'));
  });

  test('the metadata router sends the Protected Resource Metadata request to the sidecar, which serves the plugin\'s document', async () => {
    const router = routers(files.dynamicForwardAuth)['mcp-resource-metadata'];
    const prmPath = new URL(resourceMetadataUrl(config.resources[0]!)).pathname;
    expect(ruleArguments(router.rule, 'Host')).toEqual([mcpHost()]);
    expect(ruleArguments(router.rule, 'Path')).toEqual([prmPath]);
    expect(router.service).toBe(SERVICES.sidecar);
    expect(router.middlewares).toEqual(['mcp-cors']);
    // above the MCP router (Traefik's default priority is the rule's length)
    expect(router.priority).toBeGreaterThan(Math.max(...Object.values(routers(files.dynamicForwardAuth)).map((r: Tree) => (r === router ? 0 : (r.priority ?? r.rule.length)))));
    const response = await fetch(`${sidecar.url}${prmPath}`);
    expect(response.status).toBe(200);
    const host = await pluginHost(pluginOptionsOf(files.dynamicPlugin));
    // forwardAuth mode derives its policy from the sidecar's settings: the same document minus the
    // plugin-only resource_name
    const { resource_name: _name, ...pluginDocument } = (await host.handle({ method: 'GET', uri: prmPath, host: mcpHost() })).json();
    expect(await response.json()).toEqual(pluginDocument);
  });
});

describe('the Docker labels variant', () => {
  test('the override swaps in static-docker.yml and the Docker socket, read-only, and keeps the plugin mounts', () => {
    const volumes = files.composeWithLabels.services[SERVICES.traefik]!.volumes!.map(parseVolume);
    expect(volumes.find((v) => v.target === '/etc/traefik/traefik.yml')).toMatchObject({ source: `./${FILES.staticDocker}`, readOnly: true });
    expect(volumes.find((v) => v.target === '/var/run/docker.sock')).toMatchObject({ source: '/var/run/docker.sock', readOnly: true });
    for (const mount of traefikService.volumes!.map(parseVolume).filter((v) => v.target !== '/etc/traefik/traefik.yml')) expect(volumes).toContainEqual(mount);
    expect(files.compose.services[SERVICES.traefik]!.volumes!.map(parseVolume).find((v) => v.target === '/etc/traefik/traefik.yml')!.source).toBe(`./${FILES.staticConfig}`);
  });

  test('static-docker.yml is static.yml with the docker provider (only labelled containers) instead of the file provider', () => {
    const { providers: fileProviders, ...rest } = files.staticConfig;
    const { providers: dockerProviders, ...restDocker } = files.staticDocker;
    expect(restDocker).toEqual(rest);
    expect(Object.keys(fileProviders)).toEqual(['file']);
    expect(Object.keys(dockerProviders)).toEqual(['docker']);
    expect(dockerProviders.docker.exposedByDefault).toBe(false);
    for (const name of [SERVICES.demo, SERVICES.sidecar]) expect(files.composeWithLabels.services[name]!.labels!['traefik.enable']).toBe('true');
  });

  test('the labels describe the routers and middlewares of dynamic.yml', () => {
    const labels = labelConfig().http;
    const file = files.dynamicPlugin.http;
    expect(labelForm(labels.routers)).toEqual(labelForm(file.routers));
    expect(labelForm(labels.middlewares)).toEqual(labelForm(file.middlewares));
    expect(Object.keys(labels.services).sort()).toEqual(Object.keys(file.services).sort());
  });

  test('labels interpolate like compose: $$ stays a literal $', () => {
    const raw = read(FILES.labelsOverride);
    expect(raw).toContain('$${1}');
    expect(labelConfig().http.middlewares['mcp-well-known'].redirectregex.replacement).toBe(`${config.issuer}/.well-known/\${1}`);
  });
});

describe('the middleware-manager templates', () => {
  const templates = (): Tree[] => files.templates.middlewares;

  test('a list of templates with id, name, type and config; ids unique', () => {
    expect(Array.isArray(templates())).toBe(true);
    for (const template of templates()) {
      expect(Object.keys(template).sort(), template.id).toEqual(['config', 'id', 'name', 'type']);
      expect(typeof template.name).toBe('string');
    }
    const ids = templates().map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('the chains name templates of this file (as @file middlewares), auth last', () => {
    const ids = new Set(templates().map((t) => t.id));
    const chains = templates().filter((t) => t.type === 'chain');
    expect(chains.length).toBe(2);
    for (const chain of chains) {
      const names = chain.config.middlewares as string[];
      for (const name of names) {
        expect(name).toMatch(/@file$/);
        expect(ids).toContain(name.replace(/@file$/, ''));
      }
      const last = templates().find((t) => `${t.id}@file` === names.at(-1))!;
      expect(['plugin', 'forwardAuth']).toContain(last.type);
    }
  });

  test('the templates are dynamic.yml\'s middlewares', () => {
    const byId = (id: string): Tree => templates().find((t) => t.id === id)!;
    expect(byId(PLUGIN_KEY).config).toEqual(middlewares(files.dynamicPlugin)['mcp-auth'].plugin);
    expect(byId('mcp-cors-headers').config).toEqual(middlewares(files.dynamicPlugin)['mcp-cors'].headers);
    expect(byId('mcp-redirect-regex').config).toEqual(middlewares(files.dynamicPlugin)['mcp-well-known'].redirectRegex);
  });
});

/** Every module a package loads at run time, following require() from its main file. */
function runtimeRequireClosure(packageName: string): { files: Set<string>; packages: Set<string> } {
  const nodeModules = path.join(repoRoot, 'node_modules');
  const filesSeen = new Set<string>();
  const packages = new Set<string>();
  const builtins = new Set(builtinModules);
  const visitPackage = (name: string): void => {
    if (packages.has(name)) return;
    packages.add(name);
    const manifest = JSON.parse(readFileSync(path.join(nodeModules, name, 'package.json'), 'utf8')) as { main?: string };
    visitFile(path.join(nodeModules, name, manifest.main ?? 'index.js'));
  };
  const resolveFile = (file: string): string => {
    for (const candidate of [file, `${file}.js`, path.join(file, 'index.js')]) if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    throw new Error(`cannot resolve ${file}`);
  };
  const visitFile = (file: string): void => {
    const resolved = resolveFile(file);
    if (filesSeen.has(resolved)) return;
    filesSeen.add(resolved);
    for (const match of readFileSync(resolved, 'utf8').matchAll(/require\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = match[1]!;
      if (spec.startsWith('.')) visitFile(path.resolve(path.dirname(resolved), spec));
      else if (!builtins.has(spec.replace(/^node:/, ''))) visitPackage(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visitPackage(packageName);
  return { files: new Set([...filesSeen].map((f) => path.relative(repoRoot, f))), packages };
}

describe('the Dockerfiles', () => {
  const dockerfiles = (): Array<[string, Dockerfile]> => [
    [FILES.sidecarDockerfile, files.sidecarDockerfile],
    [FILES.demoDockerfile, files.demoDockerfile],
  ];

  test('multi-stage, every stage on Node.js 22 LTS', () => {
    for (const [name, dockerfile] of dockerfiles()) {
      expect(dockerfile.stages.length, name).toBeGreaterThanOrEqual(2);
      for (const stage of dockerfile.stages) expect(stage.base, `${name} ${stage.name}`).toMatch(/^node:22-bookworm-slim$/);
    }
  });

  test('npm ci can install from the lockfile: its root entry lists package.json\'s dependencies', () => {
    const lock = JSON.parse(read('package-lock.json')) as Tree;
    expect(lock.packages[''].dependencies).toEqual(files.packageJson.dependencies);
    expect(lock.packages[''].devDependencies).toEqual(files.packageJson.devDependencies);
    for (const [name, dockerfile] of dockerfiles()) {
      const installs = dockerfile.stages.flatMap((s) => instructions(s, 'RUN')).map((i) => i.args).filter((a) => /\bnpm (ci|install|i)\b/.test(a));
      expect(installs.length, name).toBeGreaterThan(0);
      for (const install of installs) expect(install, name).toMatch(/^npm ci /);
    }
  });

  test('the final stage runs as a non-root user, with a HEALTHCHECK, EXPOSE and an exec-form CMD', () => {
    for (const [name, dockerfile] of dockerfiles()) {
      const runtime = finalStage(dockerfile);
      const users = instructions(runtime, 'USER');
      expect(users.length, name).toBeGreaterThan(0);
      expect(['root', '0', '0:0']).not.toContain(users.at(-1)!.args);
      expect(users.at(-1)!.args).toBe('node');
      expect(instructions(runtime, 'HEALTHCHECK'), name).toHaveLength(1);
      expect(instructions(runtime, 'EXPOSE'), name).toHaveLength(1);
      expect(execForm(instructions(runtime, 'CMD')[0]!.args)?.[0], name).toBe('node');
      // nothing after USER switches back or installs as root
      const afterUser = runtime.instructions.slice(runtime.instructions.indexOf(users.at(-1)!) + 1);
      expect(afterUser.map((i) => i.keyword).filter((k) => ['RUN', 'USER'].includes(k)), name).toEqual([]);
    }
  });

  test('the build stage runs the package\'s esbuild script and the final stage runs its output', () => {
    for (const [name, dockerfile, buildScript] of [
      [FILES.sidecarDockerfile, files.sidecarDockerfile, 'sidecar/build.mjs'],
      [FILES.demoDockerfile, files.demoDockerfile, 'demo-mcp-server/build.mjs'],
    ] as const) {
      const outfile = /outfile:\s*path\.join\(here,\s*'([^']+)'\)|bundlePath\s*=\s*path\.join\(here,\s*'([^']+)'\)/.exec(read(buildScript));
      const bundle = (outfile![1] ?? outfile![2])!;
      const buildStage = dockerfile.stages.find((s) => instructions(s, 'RUN').some((i) => i.args === `node ${buildScript}`));
      expect(buildStage, name).toBeDefined();
      const workdir = instructions(buildStage!, 'WORKDIR')[0]!.args;
      const packageDir = path.posix.dirname(buildScript);
      const copied = instructions(finalStage(dockerfile), 'COPY').map((i) => parseCopy(i.args)).find((c) => c.from === buildStage!.name);
      expect(copied?.sources, name).toEqual([`${workdir}/${packageDir}/${path.posix.dirname(bundle)}/`]);
      expect(copied?.destination).toBe('./');
      expect(execForm(instructions(finalStage(dockerfile), 'CMD')[0]!.args)?.at(-1), name).toBe(path.posix.basename(bundle));
    }
  });

  test('the sidecar image carries exactly what better-sqlite3 loads at run time, the bundle\'s only external', () => {
    const externals = /external:\s*\[([^\]]*)\]/.exec(read('sidecar/build.mjs'))![1]!.match(/'([^']+)'/g)!.map((s) => s.slice(1, -1));
    expect(externals).toEqual(['better-sqlite3']);
    const closure = runtimeRequireClosure('better-sqlite3');
    const copies = instructions(finalStage(files.sidecarDockerfile), 'COPY').map((i) => parseCopy(i.args)).filter((c) => c.from === 'deps');
    // where each copied path lands in /app, and that it lands where it was in the deps stage
    const landed: string[] = [];
    for (const copy of copies) {
      for (const source of copy.sources) {
        const target = copy.destination.endsWith('/') ? `${copy.destination}${path.posix.basename(source)}` : copy.destination;
        expect(source).toBe(`/deps/${target}`);
        landed.push(target);
      }
    }
    const copiedPackages = new Set(landed.map((p) => p.split('/')[1]!));
    expect(copiedPackages).toEqual(new Set(externals.flatMap((e) => [...runtimeRequireClosure(e).packages])));
    for (const file of closure.files) {
      expect(landed.some((p) => file === p || file.startsWith(`${p}/`)), file).toBe(true);
    }
    // the compiled addon that lib/database.js asks bindings() for, where bindings looks first
    const addon = /require\('bindings'\)\('([^']+)'\)/.exec(readFileSync(path.join(repoRoot, 'node_modules/better-sqlite3/lib/database.js'), 'utf8'))![1]!;
    expect(landed).toContain(`node_modules/better-sqlite3/build/Release/${addon}`);
    // built at the locked version, with only its own install script run
    const depsStage = files.sidecarDockerfile.stages.find((s) => s.name === 'deps')!;
    const install = instructions(depsStage, 'RUN').map((i) => i.args).join('\n');
    expect(install).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(install).toMatch(/npm rebuild better-sqlite3/);
  });
});

describe('.dockerignore', () => {
  const contextSources = (): string[] =>
    [files.sidecarDockerfile, files.demoDockerfile].flatMap((d) => d.stages.flatMap((s) => instructions(s, 'COPY').map((i) => parseCopy(i.args)).filter((c) => c.from === undefined).flatMap((c) => c.sources)));
  const walk = (relative: string): string[] => {
    const full = path.join(repoRoot, relative);
    if (statSync(full).isFile()) return [relative];
    return readdirSync(full).flatMap((entry) => walk(path.posix.join(relative, entry)));
  };

  test('everything the Dockerfiles copy from the context is sent to the builder', () => {
    const ignored = dockerignoreMatcher(files.dockerignore);
    const sources = contextSources();
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'sidecar/src', 'demo-mcp-server/src']));
    for (const source of sources) {
      expect(existsSync(path.join(repoRoot, source)), source).toBe(true);
      for (const file of walk(source)) expect(ignored(file), file).toBe(false);
    }
  });

  test('secrets, dependencies, build output, data and tests are not', () => {
    const ignored = dockerignoreMatcher(files.dockerignore);
    for (const file of [
      '.env', 'sidecar/.env', 'sidecar/src/.env', '.git/config', 'node_modules/jose/package.json', 'sidecar/node_modules/x/index.js',
      'sidecar/dist/sidecar.mjs', 'demo-mcp-server/dist/demo-mcp-server.mjs', 'build/plugin.wasm', 'traefik-plugin/plugin.wasm',
      'data/mcpauth.sqlite', 'sidecar/test/as-config.test.ts', 'host-tests/deploy/deploy-files.test.ts', 'npm-debug.log', 'docker-compose.yml',
    ]) {
      expect(ignored(file), file).toBe(true);
    }
  });
});

describe('README', () => {
  test('has the "Deploy with Docker compose" section with the Google redirect URI', () => {
    const at = files.readme.indexOf('## Deploy with Docker compose');
    expect(at).toBeGreaterThan(-1);
    const section = files.readme.slice(at).split(/\n## /)[0]!;
    expect(section).toContain('https://<OAUTH_DOMAIN>/callback');
    expect(section).toContain('docker compose up');
    expect(section).toContain('npm run build');
    for (const file of [FILES.labelsOverride, FILES.dynamicForwardAuth, FILES.templates]) expect(section).toContain(file);
  });
});

describe('the sidecar started from the compose configuration', () => {
  test('listened, wrote the JWKS file and logged no error', () => {
    const entries = stack.logs.map((line) => JSON.parse(line) as { level: number; event?: string; jwksFile?: string });
    expect(entries.some((e) => e.event === 'sidecar.started')).toBe(true);
    expect(entries.some((e) => e.jwksFile === hostPathFor(sidecarService, config.jwksFile!))).toBe(true);
    expect(entries.filter((e) => e.level >= 50)).toEqual([]);
  });
});
