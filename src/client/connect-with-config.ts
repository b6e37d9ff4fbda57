import type { Config } from '../config';
import { XledgerSyncClient } from '../client';

/**
 * The service's own programs (CLI, `npm start`, tests, benchmarks) connect with the Config they
 * loaded from the unprefixed variables (loadConfig). Not exported by the package (src/index.ts exports src/client.ts, not this file):
 * SEMINE's backend passes explicit options to XledgerSyncClient.connect.
 */
export async function connectWithConfig(
  config: Config,
  options: { readOnly?: boolean } = {},
): Promise<XledgerSyncClient> {
  // The one way in besides connect/fromEnv, so the constructor and open() can stay private.
  return XledgerSyncClient['open']({ config, readOnly: options.readOnly === true });
}
