// Types for the parts of get-traefik.mjs that tests import.
export declare const PINNED_VERSION: string;
export declare const COMPAT_VERSION: string;
export interface GoModDirectives {
  go: string | null;
  godebug: string[];
  replace: string[];
  exclude: string[];
}
export declare function parseGoMod(text: string): GoModDirectives;
export declare function wrapperDirectives(mod: GoModDirectives): string;
