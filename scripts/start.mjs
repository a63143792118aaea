// npm start: builds the plugin and explains how to run it in Traefik. (The full local stack —
// Traefik + sidecar + demo MCP server — replaces this once those parts exist.)
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [path.join(root, 'scripts/build-plugin.mjs')], { stdio: 'inherit', cwd: root });
const size = statSync(path.join(root, 'traefik-plugin/plugin.wasm')).size;

console.log(`
mcpauth plugin built: traefik-plugin/plugin.wasm (${size} bytes) + traefik-plugin/.traefik.yml

Run it in Traefik as a local plugin:
  1. Copy traefik-plugin/ to <traefik working dir>/plugins-local/src/github.com/mcpauth/mcpauth/
  2. Static configuration:
       experimental:
         localPlugins:
           mcpauth:
             moduleName: github.com/mcpauth/mcpauth
             settings:
               mounts: ["/var/lib/mcpauth/jwks:/jwks:ro"]   # only for jwksFile
  3. Dynamic configuration (see README.md and docs/configuration.md for every option):
       http:
         middlewares:
           mcp-auth:
             plugin:
               mcpauth:
                 resource: https://mcp.example.com/mcp
                 requiredScopes: [mcp:tools]
                 issuers:
                   - issuer: https://auth.example.com
                     jwksFile: /jwks/jwks.json

Tests: npm test    Benchmarks: npm run bench:verify
`);
