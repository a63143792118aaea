// Entry point of the bundled sidecar (`node sidecar.mjs [--flags]`, or
// `node sidecar.mjs rotate-keys [--overlap SECONDS]`). Reads the configuration,
// starts the server, and stops it cleanly on SIGTERM/SIGINT. A bad configuration prints the
// reason (naming the setting) and exits 1 before anything listens.
import { ConfigError, loadConfig } from './config.js';
import { runRotateKeysCommand } from './keys/keystore.js';
import { startSidecar } from './server.js';

function failConfig(err: ConfigError): never {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', code: err.code, setting: err.setting, msg: err.message })}\n`);
  process.stderr.write(`mcpauth sidecar: ${err.message}\n`);
  process.exit(1);
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'rotate-keys') {
    process.exit(await runRotateKeysCommand(argv));
  }
  let sidecar;
  try {
    sidecar = await startSidecar(loadConfig(process.env, argv));
  } catch (err) {
    if (err instanceof ConfigError) failConfig(err);
    throw err;
  }
  const running = sidecar;
  const stop = (signal: string) => {
    running.log.info({ event: 'sidecar.stopping', signal }, 'stopping');
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`mcpauth sidecar: failed to start: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
