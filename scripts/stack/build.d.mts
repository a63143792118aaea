/** Builds the plugin (`scripts/build-plugin.mjs --plugin`), the sidecar bundle and the demo server bundle; all by default. */
export declare function buildStack(what?: { plugin?: boolean; sidecar?: boolean; demo?: boolean; verbose?: boolean }): Promise<void>;
