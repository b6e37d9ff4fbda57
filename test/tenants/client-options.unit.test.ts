/**
 * The client's explicit configuration (src/client/options.ts): options and `XLEDGER_SYNC_`
 * variables become the same Config loadConfig makes, with its defaults; the database is ours
 * (`xledger_sync`) unless named; a bad option is refused, named, before any server is touched.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, XledgerSyncClient, type ClientOptions } from '../../src/client';
import { clientSettings, clientSettingsFromEnv } from '../../src/client/options';
import { loadConfig } from '../../src/config';

const key = randomBytes(32).toString('base64');
const minimal = {
  mongodb: { uri: 'mongodb://db.internal:27017' },
  temporal: { address: 'temporal.internal:7233' },
  tokenEncryptionKey: key,
} satisfies ClientOptions;

function configError(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('no ConfigError');
}

describe('client options', () => {
  it("give loadConfig's configuration, with its defaults, from the options alone", () => {
    const { config, readOnly } = clientSettings(minimal);
    const service = loadConfig({
      MONGODB_URI: 'mongodb://db.internal:27017',
      MONGODB_DB: 'xledger_sync',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TOKEN_ENCRYPTION_KEY: key,
    });
    expect(config).toEqual(service);
    expect(readOnly).toBe(false);
    expect(config.temporal).toMatchObject({ namespace: 'default', taskQueue: 'xledger-sync' });
  });

  it('never take the database from the URI: xledger_sync, unless mongodb.database names one', () => {
    const semineUri = 'mongodb://db.internal:27017/semine?authSource=admin';
    expect(clientSettings({ ...minimal, mongodb: { uri: semineUri } }).config.mongo.dbName).toBe(
      'xledger_sync',
    );
    expect(
      clientSettings({ ...minimal, mongodb: { uri: semineUri, database: 'ap_sync' } }).config.mongo.dbName,
    ).toBe('ap_sync');
    // The service's own variables keep their rule (the URI's database), for the operator tools.
    expect(loadConfig({ MONGODB_URI: semineUri }).mongo.dbName).toBe('semine');
  });

  it('map every option onto its variable: TLS, API key, hosts, keys, timeouts', () => {
    const previous = randomBytes(32).toString('base64');
    const { config } = clientSettings({
      mongodb: { uri: 'mongodb+srv://cluster.example', database: 'sync', timeoutMs: 5_000 },
      temporal: {
        address: 'ns.tmprl.cloud:7233',
        namespace: 'ns',
        taskQueue: 'q',
        apiKey: 'api-key',
        tls: { serverName: 'ns.tmprl.cloud' },
        timeoutMs: 7_000,
      },
      tokenEncryptionKey: key,
      previousTokenEncryptionKeys: [previous],
      xledger: { defaultEndpoint: 'https://demo.xledger.net/graphql', allowedHosts: ['demo.xledger.net'] },
      webhooks: { allowedHosts: ['hooks.semine.example'] },
    });
    expect(config.mongo).toMatchObject({
      uri: 'mongodb+srv://cluster.example',
      dbName: 'sync',
      timeoutMs: 5_000,
    });
    expect(config.temporal).toMatchObject({
      address: 'ns.tmprl.cloud:7233',
      namespace: 'ns',
      taskQueue: 'q',
      apiKey: 'api-key',
      tls: { serverName: 'ns.tmprl.cloud' },
      timeoutMs: 7_000,
    });
    expect(config.previousTokenEncryptionKeys).toEqual([Buffer.from(previous, 'base64')]);
    expect(config.xledger.endpointPolicy.allowedHosts).toEqual(['demo.xledger.net']);
    expect(config.webhooks.policy.allowedHosts).toEqual(['hooks.semine.example']);
    expect(
      clientSettings({ ...minimal, temporal: { address: 'x:1', tls: true } }).config.temporal.tls,
    ).toEqual({});
    expect(clientSettings(minimal).config.temporal.tls).toBeUndefined();
  });

  it('refuse a bad or misspelt option by its name, and never echo a key', () => {
    expect(configError(() => clientSettings({ ...minimal, mongodb: { uri: 'http://db' } }))).toMatch(
      /mongodb\.uri: must be a mongodb:\/\//,
    );
    expect(
      configError(() => clientSettings({ ...minimal, mongodb: { uri: minimal.mongodb.uri, databse: 'x' } })),
    ).toMatch(/mongodb: Unrecognized key: "databse"/);
    expect(
      configError(() => clientSettings({ ...minimal, temporal: { address: 'x:1', timeoutMs: -1 } })),
    ).toMatch(/temporal\.timeoutMs: /);
    const message = configError(() => clientSettings({ ...minimal, tokenEncryptionKey: 'not-a-key-secret' }));
    expect(message).toMatch(/tokenEncryptionKey: must be 32 bytes/);
    expect(message).not.toContain('not-a-key-secret');
    expect(configError(() => clientSettings({ mongodb: minimal.mongodb }))).toMatch(/temporal: /);
  });

  it('need the encryption key, unless read-only', () => {
    const { tokenEncryptionKey: _key, ...withoutKey } = minimal;
    expect(configError(() => clientSettings(withoutKey))).toMatch(
      /tokenEncryptionKey is required .*read-only/,
    );
    const readOnly = clientSettings({ ...withoutKey, readOnly: true });
    expect(readOnly.readOnly).toBe(true);
    expect(readOnly.config.tokenEncryptionKey).toBeUndefined();
  });

  it('fromEnv reads only XLEDGER_SYNC_ variables, named so in errors', () => {
    const host = {
      MONGODB_URI: 'mongodb://semine-db:27017/semine',
      TEMPORAL_ADDRESS: 'semine-temporal:7233',
      TOKEN_ENCRYPTION_KEY: key,
    };
    expect(configError(() => clientSettingsFromEnv(host))).toMatch(
      /XLEDGER_SYNC_MONGODB_URI, XLEDGER_SYNC_TEMPORAL_ADDRESS must be set/,
    );
    const { config, readOnly } = clientSettingsFromEnv({
      ...host,
      XLEDGER_SYNC_MONGODB_URI: 'mongodb://db.internal:27017/semine',
      XLEDGER_SYNC_TEMPORAL_ADDRESS: 'temporal.internal:7233',
      XLEDGER_SYNC_TOKEN_ENCRYPTION_KEY: key,
      XLEDGER_SYNC_TEMPORAL_NAMESPACE: 'sync',
    });
    expect(config).toEqual(
      clientSettings({
        ...minimal,
        mongodb: { uri: 'mongodb://db.internal:27017/semine' },
        temporal: { ...minimal.temporal, namespace: 'sync' },
      }).config,
    );
    expect(config.mongo.dbName).toBe('xledger_sync');
    expect(readOnly).toBe(false);
    const prefixed = {
      XLEDGER_SYNC_MONGODB_URI: 'mongodb://db.internal:27017',
      XLEDGER_SYNC_TEMPORAL_ADDRESS: 'temporal.internal:7233',
    };
    expect(
      configError(() => clientSettingsFromEnv({ ...prefixed, XLEDGER_SYNC_MONGODB_TIMEOUT_MS: 'soon' })),
    ).toMatch(/XLEDGER_SYNC_MONGODB_TIMEOUT_MS: /);
    expect(configError(() => clientSettingsFromEnv(prefixed))).toMatch(
      /XLEDGER_SYNC_TOKEN_ENCRYPTION_KEY is required/,
    );
    expect(clientSettingsFromEnv({ ...prefixed, XLEDGER_SYNC_READ_ONLY: 'true' }).readOnly).toBe(true);
    expect(
      clientSettingsFromEnv({ ...prefixed, XLEDGER_SYNC_READ_ONLY: '1', XLEDGER_SYNC_MONGODB_DB: 'ap' })
        .config.mongo.dbName,
    ).toBe('ap');
  });

  it('connect refuses bad options before touching a server', async () => {
    // Nothing listens on port 1: were a server asked, this would fail as ServiceUnavailableError.
    const unreachable = {
      mongodb: { uri: 'mongodb://127.0.0.1:1', timeoutMs: 200 },
      temporal: { address: '127.0.0.1:1' },
    };
    await expect(XledgerSyncClient.connect({ ...unreachable, tokenEncryptionKey: 'short' })).rejects.toThrow(
      ConfigError,
    );
    await expect(XledgerSyncClient.connect(unreachable)).rejects.toThrow(/tokenEncryptionKey is required/);
    await expect(XledgerSyncClient.fromEnv({ MONGODB_URI: 'mongodb://127.0.0.1:1' })).rejects.toThrow(
      /XLEDGER_SYNC_MONGODB_URI/,
    );
  });
});
