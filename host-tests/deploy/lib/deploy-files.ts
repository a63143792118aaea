// Every deployment file, read and parsed once, with the values the checks compare.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../lib/harness.js';
import { interpolateTree, mergeCompose, type ComposeFile, type Env } from './compose.js';
import { parseDockerfile, type Dockerfile } from './dockerfile.js';

/** A parsed YAML document; the checks walk it by key. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Tree = Record<string, any>;

export const read = (relative: string): string => readFileSync(path.join(repoRoot, relative), 'utf8');
const yamlFile = (relative: string): Tree => parse(read(relative)) as Tree;

export const FILES = {
  compose: 'docker-compose.yml',
  labelsOverride: 'deploy/traefik/compose.labels.yml',
  staticConfig: 'deploy/traefik/static.yml',
  staticDocker: 'deploy/traefik/static-docker.yml',
  dynamicPlugin: 'deploy/traefik/dynamic.yml',
  dynamicForwardAuth: 'deploy/traefik/dynamic-forwardauth.yml',
  templates: 'deploy/middleware-manager/templates.yml',
  sidecarDockerfile: 'sidecar/Dockerfile',
  demoDockerfile: 'demo-mcp-server/Dockerfile',
  dockerignore: '.dockerignore',
  readme: 'README.md',
} as const;

/** What an operator provides from the environment (or .env): the upstream client's credentials. */
export const OPERATOR_ENV: Env = {
  CLIENT_ID: 'test-client.apps.googleusercontent.com',
  CLIENT_SECRET: 'test-client-secret',
};

export const SERVICES = { traefik: 'traefik', sidecar: 'mcpauth-sidecar', demo: 'demo-mcp-server' } as const;
/** The key the plugin is declared under (experimental.localPlugins.<name>) and used with. */
export const PLUGIN_KEY = 'mcpauth';

export interface DeployFiles {
  composeText: string;
  /** docker-compose.yml as compose sees it with OPERATOR_ENV set */
  compose: ComposeFile;
  /** docker-compose.yml + deploy/traefik/compose.labels.yml, merged */
  composeWithLabels: ComposeFile;
  staticConfig: Tree;
  staticText: string;
  staticDocker: Tree;
  dynamicPlugin: Tree;
  dynamicForwardAuth: Tree;
  templates: Tree;
  sidecarDockerfile: Dockerfile;
  demoDockerfile: Dockerfile;
  dockerignore: string;
  readme: string;
  packageJson: Tree;
}

export function loadDeployFiles(env: Env = OPERATOR_ENV): DeployFiles {
  const composeText = read(FILES.compose);
  const compose = interpolateTree(parse(composeText) as ComposeFile, env);
  const override = interpolateTree(yamlFile(FILES.labelsOverride) as ComposeFile, env);
  return {
    composeText,
    compose,
    composeWithLabels: mergeCompose(compose, override),
    staticConfig: yamlFile(FILES.staticConfig),
    staticText: read(FILES.staticConfig),
    staticDocker: yamlFile(FILES.staticDocker),
    dynamicPlugin: yamlFile(FILES.dynamicPlugin),
    dynamicForwardAuth: yamlFile(FILES.dynamicForwardAuth),
    templates: yamlFile(FILES.templates),
    sidecarDockerfile: parseDockerfile(read(FILES.sidecarDockerfile)),
    demoDockerfile: parseDockerfile(read(FILES.demoDockerfile)),
    dockerignore: read(FILES.dockerignore),
    readme: read(FILES.readme),
    packageJson: JSON.parse(read('package.json')) as Tree,
  };
}

/**
 * The commented-out catalog variant in static.yml (`# plugins:` under `experimental:`), as YAML:
 * the comment markers removed, so it can be checked like the live configuration.
 */
export function commentedCatalogVariant(staticText: string): Tree | undefined {
  const lines = staticText.split('\n');
  const start = lines.findIndex((line) => /^\s*#\s*plugins:\s*$/.test(line));
  if (start === -1) return undefined;
  const indent = lines[start]!.indexOf('#');
  const block: string[] = [];
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith(`${' '.repeat(indent)}#`)) break;
    block.push(line.slice(indent + 1).replace(/^ /, ''));
  }
  return parse(block.join('\n')) as Tree;
}
