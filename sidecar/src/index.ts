// Programmatic entry point (tests, embedding): build a config, start the sidecar.
export { ConfigError, loadConfig, parseFlags, type SidecarConfig } from './config.js';
export { startSidecar, type RunningSidecar, type SidecarOptions } from './server.js';
