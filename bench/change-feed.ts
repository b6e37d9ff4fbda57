/**
 * Benchmark: what the change feed and the events outbox cost on the MongoDB-wire server the
 * tests use (FerretDB v1 on SQLite unless MONGODB_URI is set), measured in this one run:
 * - the sync path: writing pages of changed records, and the one `$inc` per page the feed adds;
 * - reading the feed: everything from the start in pages, a few changes after a cursor, nothing new;
 * - the outbox: listing a tenant's newest events by `_id` look-ups among many tenants' events,
 *   beside the same page read as an `_id` range query (which FerretDB v1 does not push down).
 *   npx tsx bench/change-feed.ts [records per tenant, default 5000] [events, default 20000]
 */
import { randomBytes } from 'node:crypto';
import { startDevStack } from '../src/devstack/stack';
import { eventIds } from '../src/domain/event-catalogue';
import { readChanges, reserveChangeSeqs, sealChanges } from '../src/store/changes';
import { connectStore, ensureIndexes } from '../src/store/db';
import { eventKey, listEvents, recordEvent } from '../src/store/events';
import { recordsCollection, StoredState, upsertRecords } from '../src/store/records';
import type { RecordToStore } from '../src/domain/records';

const supplier = (dbId: number, version: number): RecordToStore => ({
  dbId,
  entityDbId: 101,
  visibility: 'owner',
  fields: { code: `S${dbId}`, description: `Supplier ${dbId} v${version}`, email: `s${dbId}@example.com` },
});

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await fn();
  return [result, performance.now() - started];
}

async function main(): Promise<void> {
  const records = Number(process.argv[2] ?? 5_000);
  const eventCount = Number(process.argv[3] ?? 20_000);
  const external = process.env.MONGODB_URI;
  const stack = external
    ? undefined
    : await startDevStack({ ephemeral: true, temporal: 'free', mongo: 'free', headless: true });
  const uri = external ?? stack!.mongoUri;
  const store = await connectStore(uri, `xledger_sync_bench_feed_${randomBytes(3).toString('hex')}`);
  const rows: Array<Record<string, string | number>> = [];
  const row = (what: string, ms: number, extra: Record<string, string | number> = {}) =>
    rows.push({ what, ms: Number(ms.toFixed(1)), ...extra });
  try {
    await ensureIndexes(store.db);
    const collection = recordsCollection(store.db, 'suppliers');
    // Two tenants of the same size: the feed of one must not pay for the other's records.
    for (const tenant of ['feed', 'noise']) {
      const stored = StoredState.partial(collection, tenant);
      const ids = Array.from({ length: records }, (_, i) => i + 1);
      const [, ms] = await timed(async () => {
        for (let start = 0; start < ids.length; start += 1000) {
          await upsertRecords(
            collection,
            tenant,
            ids.slice(start, start + 1000).map((id) => supplier(id, 1)),
            stored,
            new Date(),
          );
        }
      });
      if (tenant === 'feed') row(`insert ${records} records, pages of 1,000`, ms);
      await sealChanges(store.db, tenant, 'suppliers');
    }
    const [, incMs] = await timed(async () => {
      for (let i = 0; i < 20; i++) await reserveChangeSeqs(store.db, 'feed-probe', 'suppliers', 1000);
    });
    row('the feed’s cost per written page: one $inc (mean of 20)', incMs / 20);
    const full = StoredState.partial(collection, 'feed');
    const [, updateMs] = await timed(() =>
      upsertRecords(
        collection,
        'feed',
        Array.from({ length: 1000 }, (_, i) => supplier(i + 1, 2)),
        full,
        new Date(),
      ),
    );
    row('update a page of 1,000 changed records (incl. the $inc)', updateMs);
    const cursor = await sealChanges(store.db, 'feed', 'suppliers');
    await upsertRecords(
      collection,
      'feed',
      [supplier(5, 3), supplier(50, 3), supplier(500, 3)],
      full,
      new Date(),
    );
    await sealChanges(store.db, 'feed', 'suppliers');

    const [pages, readAllMs] = await timed(async () => {
      let after = 0;
      let count = 0;
      let n = 0;
      for (;;) {
        const page = await readChanges(store.db, 'feed', 'suppliers', { after, limit: 1000 });
        count += page.changes.length;
        n += 1;
        after = page.next;
        if (!page.hasMore) return { count, n };
      }
    });
    row(`read the whole feed from 0 (${pages.count} records)`, readAllMs, {
      pages: pages.n,
      'ms/page': Number((readAllMs / pages.n).toFixed(1)),
    });
    const [few, fewMs] = await timed(() =>
      readChanges(store.db, 'feed', 'suppliers', { after: cursor, limit: 1000 }),
    );
    row(`read ${few.changes.length} changes after a cursor`, fewMs);
    const [, headMs] = await timed(() =>
      readChanges(store.db, 'feed', 'suppliers', { after: few.next, limit: 1000 }),
    );
    row('read at the head (nothing new)', headMs);

    // The outbox: many tenants' events, one tenant's newest page.
    const tenants = 20;
    for (let i = 0; i < eventCount; i++) {
      const tenantId = `t${i % tenants}`;
      await recordEvent(store.db, {
        id: eventIds.invoiceRejected(tenantId, `INV-${i}`),
        tenantId,
        type: 'invoice.rejected',
        data: { invoiceId: `INV-${i}`, reasons: ['bench'], rejectedAt: new Date().toISOString() },
        occurredAt: new Date(),
      });
    }
    const [listed, listMs] = await timed(() => listEvents(store.db, 't3', { limit: 50 }));
    row(`events list: newest 50 of tenant t3 by _id look-ups (${eventCount} events stored)`, listMs, {
      events: listed.events.length,
    });
    const last = listed.recorded;
    const [ranged, rangeMs] = await timed(() =>
      store.db
        .collection('events')
        .find({ _id: { $gt: eventKey('t3', last - 50) as never, $lte: eventKey('t3', last) as never } })
        .toArray(),
    );
    row('the same page as one _id range query', rangeMs, { events: ranged.length });
    const [, recordMs] = await timed(async () => {
      for (let i = 0; i < 50; i++) {
        await recordEvent(store.db, {
          id: eventIds.invoiceRejected('t3', `EXTRA-${i}`),
          tenantId: 't3',
          type: 'invoice.rejected',
          data: { invoiceId: `EXTRA-${i}`, reasons: ['bench'], rejectedAt: new Date().toISOString() },
          occurredAt: new Date(),
        });
      }
    });
    row('record one event (mean of 50)', recordMs / 50);
    console.log(
      `\nMongoDB-wire server: ${stack?.mongoKind ?? 'external'}; ${records} records per tenant, 2 tenants`,
    );
    console.table(rows);
  } finally {
    await store.db.dropDatabase().catch(() => undefined);
    await store.close();
    await stack?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
