// Wycheproof's JWS and JWK vectors through the guest's JWS layer (key-set parsing, kid lookup,
// algorithm binding, signature check). Policy for vectors outside what the plugin supports:
// tokens signed with HS*, PS*, RS384/512 or ES384/512 are "valid" in Wycheproof's sense, but the
// plugin only accepts RS256, ES256 and EdDSA, so for those the guest must REFUSE them (never accept
// something it cannot check). Every vector is checked, and the counts are asserted.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { loadHarness, repoRoot } from '../lib/harness.js';

interface Harness {
  verifyJws(jws: string, jwks: string): number;
}

interface Vector { tcId: number | string; comment: string; jws: string; result: 'valid' | 'invalid' | 'acceptable'; }
interface Group { public?: unknown; private?: unknown; tests: Vector[]; comment?: string; }

const dir = path.join(repoRoot, '../shared/testdata/wycheproof');
const SUPPORTED = new Set(['RS256', 'ES256', 'EdDSA']);

function headerAlg(jws: string): string | undefined {
  try {
    return JSON.parse(Buffer.from(jws.split('.')[0], 'base64url').toString('utf8')).alg;
  } catch {
    return undefined;
  }
}

let h: Harness;
beforeAll(async () => {
  h = await loadHarness<Harness>('jwt');
});

for (const file of ['json_web_signature_test.json', 'json_web_key_test.json']) {
  test(`every vector of ${file}`, () => {
    const doc = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { numberOfTests: number; testGroups: Group[] };
    const counts = { validAccepted: 0, validUnsupportedRefused: 0, invalidRefused: 0, noPublicKeyRefused: 0 };
    const failures: string[] = [];
    let checked = 0;
    for (const group of doc.testGroups) {
      for (const v of group.tests) {
        checked++;
        // Groups without a public key hold symmetric (oct) keys: the plugin has no use for them.
        const keyText = JSON.stringify(group.public ?? group.private ?? {});
        const got = h.verifyJws(v.jws, keyText);
        const alg = headerAlg(v.jws);
        if (!group.public) {
          if (got === 1) failures.push(`${v.tcId} accepted with a symmetric key`);
          else counts.noPublicKeyRefused++;
        } else if (v.result === 'valid' && alg && SUPPORTED.has(alg)) {
          if (got !== 1) failures.push(`${v.tcId} (${v.comment}) valid ${alg} not accepted: ${got}`);
          else counts.validAccepted++;
        } else if (v.result === 'valid') {
          if (got === 1) failures.push(`${v.tcId} unsupported alg ${alg} accepted`);
          else counts.validUnsupportedRefused++;
        } else {
          if (got === 1) failures.push(`${v.tcId} (${v.comment}) ${v.result} accepted`);
          else counts.invalidRefused++;
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBe(doc.numberOfTests);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(doc.numberOfTests);
    // Both files must exercise acceptance of supported algorithms, not only refusals.
    expect(counts.validAccepted).toBeGreaterThan(0);
  });
}
