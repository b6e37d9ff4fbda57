import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { getFreePorts } from '../../src/devstack/ports';
import { ensureSearchAttributes, startTemporalServer } from '../../src/devstack/temporal-server';
import { resolveMongoServer, resolveTemporalCli, toolsCacheRoot } from '../../src/devstack/tools';
import { customSearchAttributes, TenantIdKey } from '../../src/temporal/search-attributes';

describe('dev stack (started by global setup)', () => {
  it('Temporal answers and has every custom search attribute as Keyword', async () => {
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      const namespace = inject('temporalNamespace');
      const res = await connection.operatorService.listSearchAttributes({ namespace });
      const custom = res.customAttributes ?? {};
      for (const key of customSearchAttributes) {
        expect(custom, `search attribute ${key.name}`).toHaveProperty(key.name);
      }
      // Every one is Keyword (IndexedValueType 2).
      expect(new Set(customSearchAttributes.map((k) => custom[k.name]))).toEqual(new Set([2]));
    } finally {
      await connection.close();
    }
  });

  it('the Web UI answers HTTP 200', async () => {
    const res = await fetch(inject('temporalUiUrl'));
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/<html/i);
  });

  it('the MongoDB-wire server pings and round-trips a document', async () => {
    const client = new MongoClient(inject('mongoUri'), { serverSelectionTimeoutMS: 10_000 });
    try {
      const db = client.db();
      expect(db.databaseName).toBe(inject('mongoDbName'));
      expect((await db.command({ ping: 1 })).ok).toBe(1);
      const col = db.collection<{ _id: string; n: number; tags: string[] }>('devstack_roundtrip');
      await col.insertOne({ _id: 'a', n: 42, tags: ['x', 'y'] });
      await col.updateOne({ _id: 'a' }, { $inc: { n: 1 } });
      expect(await col.findOne({ _id: 'a' })).toEqual({ _id: 'a', n: 43, tags: ['x', 'y'] });
      expect(await col.countDocuments({ tags: 'y' })).toBe(1);
    } finally {
      await client.close();
    }
  });
});

describe('Temporal with a persistent DB from an older version', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
  });

  it('adds the search attributes that are missing, and restarts on the same DB', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devstack-sa-'));
    dirs.push(dir);
    const bin = await resolveTemporalCli();
    const [port, uiPort, httpPort, metricsPort] = await getFreePorts(4);
    const ports = { port: port!, uiPort: uiPort!, httpPort: httpPort!, metricsPort: metricsPort! };
    const dbFile = path.join(dir, 'temporal.sqlite');

    // "Older version": only TenantId was known.
    const old = await startTemporalServer({
      bin,
      ports,
      dbFile,
      headless: true,
      searchAttributes: [TenantIdKey],
      logFile: path.join(dir, 'old.log'),
    });
    await old.stop();

    // Started on the same DB without the flags: the missing ones are found and added.
    const server = await startTemporalServer({ bin, ports, dbFile, headless: true, searchAttributes: [] });
    const connection = await Connection.connect({ address: server.address });
    try {
      const before = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(before.customAttributes ?? {})).toContain('TenantId');
      expect(Object.keys(before.customAttributes ?? {})).not.toContain('InvoiceState');

      const added = await ensureSearchAttributes(connection, 'default', customSearchAttributes);
      expect(added.sort()).toEqual(['DataType', 'InvoiceId', 'InvoiceState', 'SyncOutcome', 'SyncTrigger']);
      expect(await ensureSearchAttributes(connection, 'default', customSearchAttributes)).toEqual([]);
      const after = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const key of customSearchAttributes) expect(after.customAttributes).toHaveProperty(key.name);
    } finally {
      await connection.close();
      await server.stop();
    }
  });
});

describe('tool lookup', () => {
  it('honours XDG_CACHE_HOME for the cache of built tools', () => {
    expect(toolsCacheRoot({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' })).toBe(
      '/x/cache/xledger-sync/tools',
    );
    expect(toolsCacheRoot({ HOME: '/home/u' })).toBe('/home/u/.cache/xledger-sync/tools');
  });

  it('fails at once with a clear message when neither the tool nor Go can be had', async () => {
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'devstack-empty-'));
    const env = { PATH: empty, HOME: empty, XDG_CACHE_HOME: empty };
    try {
      await expect(resolveTemporalCli({ env, goFallbacks: [] })).rejects.toThrow(
        /Install the Temporal CLI .* or Go .*, or use `docker compose up`/,
      );
      await expect(resolveMongoServer({ env, goFallbacks: [] })).rejects.toThrow(
        /Set MONGODB_URI, install MongoDB \(mongod\) or Go .*, or use `docker compose up`/,
      );
      await expect(
        resolveMongoServer({ env: { ...env, MONGODB_URI: 'mongodb://db:27017' } }),
      ).resolves.toEqual({
        kind: 'external',
        uri: 'mongodb://db:27017',
      });
    } finally {
      await fs.rm(empty, { recursive: true, force: true });
    }
  });
});
