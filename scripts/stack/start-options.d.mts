import type { RunningStack, StackOptions, UpstreamIdp } from './stack.d.mts';
export declare const DEFAULT_PORTS: Readonly<{ traefik: number; traefikAdmin: number; sidecar: number; demo: number; idp: number }>;
export declare const PORT_VARIABLES: Readonly<Record<keyof typeof DEFAULT_PORTS, string>>;
export declare const GOOGLE_ISSUER: string;
export declare class StartConfigError extends Error {
  /** the variable or flag at fault */
  readonly setting: string;
  constructor(setting: string, reason: string);
}
export declare function startOptionsFrom(
  env: Record<string, string | undefined>,
  argv: string[],
  repoRoot: string,
): { build: boolean; stack: Omit<StackOptions, 'onLog' | 'onUnexpectedExit'> & Required<Pick<StackOptions, 'mode' | 'idp' | 'ports' | 'dataDir' | 'logLevel' | 'requiredScopes' | 'allowedScopes' | 'allowedEmails'>> };
export declare function describeIdp(idp: 'dev' | UpstreamIdp, running: RunningStack): string;
