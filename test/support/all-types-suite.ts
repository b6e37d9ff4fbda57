/**
 * The "every data type, both owners" suite, run once per seeded dataset (one test file each,
 * so that datasets run in parallel): two tenants — one per owner, both with the root token
 * that sees every owner — share one MongoDB database.
 */
import type { DataType } from '../../src/domain/data-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataTypes } from '../../src/datatypes/registry';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { readChanges } from '../../src/store/changes';
import { recordsCollection } from '../../src/store/records';
import type { SyncRunSummary } from '../../src/domain/figures';
import { startHarness, type Harness } from './harness';
import {
  counters,
  DATA_TYPE_TRUTH,
  expectDataTypeEqualsTruth,
  lastSyncedAt,
  resetCounters,
  runSync,
  truth,
  written,
} from './sync';

export interface Dataset {
  seed: number;
  suppliers: number;
}

const TENANTS = [
  { tenantId: 'owner-one', owner: SEED_ENTITIES.owner1 },
  { tenantId: 'owner-two', owner: SEED_ENTITIES.owner2 },
] as const;

export function defineAllTypesSuite(dataset: Dataset): void {
  describe(`every data type, seed ${dataset.seed}, ${dataset.suppliers} suppliers`, () => {
    let h: Harness;
    const fullRuns = new Map<string, SyncRunSummary>();

    beforeAll(async () => {
      h = await startHarness(dataset);
      for (const tenant of TENANTS) {
        await h.saveTenant({
          tenantId: tenant.tenantId,
          xledger: { token: SEED_TOKENS.root },
          entityOwnerDbId: tenant.owner,
          options: { fixedAssets: true, projectManagers: true },
        });
      }
      await h.startWorker();
      // Every type for both tenants, interleaved so that each full pass runs beside the other tenant's data.
      for (const type of dataTypes) {
        for (const tenant of TENANTS) {
          fullRuns.set(
            `${tenant.tenantId}/${type.name}`,
            await runSync(h, tenant.tenantId, type.name, 'full'),
          );
        }
      }
    });
    afterAll(() => h?.close());

    for (const tenant of TENANTS) {
      for (const type of dataTypes) {
        it(`${type.name} for owner ${tenant.owner}: MongoDB equals the simulator's truth`, async () => {
          const run = fullRuns.get(`${tenant.tenantId}/${type.name}`)!;
          expect(run.status).toBe('completed');
          expect(run.streams.map((s) => s.stream)).toEqual(type.streams.map((s) => s.name));
          expect(run.totals.rejected).toBe(0);
          // The root token sees every owner: others' records were read and dropped, never stored.
          expect(run.totals.filteredOut).toBeGreaterThan(0);
          expect(run.totals.inserted).toBe(run.totals.kept);
          await expectDataTypeEqualsTruth(h, tenant.tenantId, tenant.owner, type.name);
        });
      }
    }

    it('VAT codes carry the percent of their tax table setup', async () => {
      for (const tenant of TENANTS) {
        const setups = await truth(h, tenant.owner, 'taxTableSetups');
        const percentOf = new Map(
          setups.map((s) => [(s.objectValue as { dbId: number }).dbId, s.taxPercent as string]),
        );
        const codes = await recordsCollection(h.store.db, 'vat_codes')
          .find({ tenantId: tenant.tenantId })
          .toArray();
        expect(codes.length).toBeGreaterThan(0);
        for (const code of codes)
          expect(code.percent, `VAT code ${code.code}`).toBe(percentOf.get(code.dbId));
        expect(codes.find((c) => c.code === '1' && c.visibility === 'owner')?.percent).toBe('25.00');
        expect(codes.find((c) => c.code === '81' && c.visibility === 'client')?.percent).toBe('25.00');
      }
    });

    it('two tenants in one database never see each other’s records', async () => {
      const [one, two] = TENANTS;
      for (const spec of Object.values(DATA_TYPE_TRUTH).flat()) {
        const collection = recordsCollection(h.store.db, spec.collection);
        const oneDocs = await collection.find({ tenantId: one.tenantId }).toArray();
        const twoDocs = await collection.find({ tenantId: two.tenantId }).toArray();
        const twoIds = new Set(twoDocs.map((d) => d.dbId));
        expect(
          oneDocs.filter((d) => twoIds.has(d.dbId)).map((d) => d.dbId),
          spec.collection,
        ).toEqual([]);
        expect(oneDocs.every((d) => d._id.startsWith(`${one.tenantId}:`))).toBe(true);
        expect(twoDocs.every((d) => d._id.startsWith(`${two.tenantId}:`))).toBe(true);
      }
    });

    it('the change feed of the first syncs, read 7 at a time, gives every record once and no number twice', async () => {
      for (const tenant of TENANTS) {
        for (const type of dataTypes) {
          const seqs: number[] = [];
          const ids: string[] = [];
          let after = 0;
          for (let page = 0; ; page++) {
            const read = await readChanges(h.store.db, tenant.tenantId, type.name as DataType, {
              after,
              limit: 7,
            });
            seqs.push(...read.changes.map((change) => change.changeSeq));
            ids.push(...read.changes.map((change) => `${change.collection}/${change.record.dbId}`));
            after = read.next;
            if (!read.hasMore || page > 10_000) break;
          }
          const stored: string[] = [];
          for (const stream of type.streams) {
            const docs = await recordsCollection(h.store.db, stream.collection)
              .find({ tenantId: tenant.tenantId }, { projection: { dbId: 1 } })
              .toArray();
            // By dbId: the feed's records carry no _id (ours alone), and dbId is unique per tenant.
            stored.push(...docs.map((doc) => `${stream.collection}/${doc.dbId}`));
          }
          const where = `${tenant.tenantId}/${type.name}`;
          expect({ where, twice: seqs.length - new Set(seqs).size }).toEqual({ where, twice: 0 });
          expect({ where, ids: [...ids].sort() }).toEqual({ where, ids: [...stored].sort() });
        }
      }
    });

    it('a no-op incremental pass writes nothing and makes one Xledger request per data type', async () => {
      for (const tenant of TENANTS) {
        const before = new Map<string, number>();
        for (const spec of Object.values(DATA_TYPE_TRUTH).flat()) {
          before.set(spec.collection, await lastSyncedAt(h, spec.collection, tenant.tenantId));
        }
        await resetCounters(h);
        let streams = 0;
        for (const type of dataTypes) {
          const run = await runSync(h, tenant.tenantId, type.name, 'incremental');
          expect(run.status).toBe('completed');
          // Its streams' first pages went out as one request.
          expect(run.totals.requests, `${type.name} requests`).toBe(1);
          for (const figures of run.streams) {
            expect(written(figures), `${type.name}/${figures.stream} writes`).toBe(0);
            expect(figures.rejected).toBe(0);
          }
          if (run.link) expect(run.link.updated, `${type.name} link writes`).toBe(0);
          streams += run.streams.length;
        }
        expect(streams).toBe(dataTypes.reduce((n, type) => n + type.streams.length, 0));
        // The simulator's own count: nothing else was asked (no entity tree, no TAX_RULE look-up).
        expect((await counters(h, 'root')).requests).toBe(dataTypes.length);
        for (const [collection, at] of before) {
          expect(await lastSyncedAt(h, collection, tenant.tenantId), `${collection} untouched`).toBe(at);
        }
      }
    });
  });
}
