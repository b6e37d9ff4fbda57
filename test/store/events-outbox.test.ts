import { MongoClient } from 'mongodb';
import { describe, expect, inject, it } from 'vitest';
import { eventIds, type NewEvent } from '../../src/domain/event-catalogue';
import {
  advanceDelivered,
  closeGap,
  eventPositions,
  findEvent,
  listEvents,
  readSlots,
  recordEvent,
  tenantsBehind,
} from '../../src/store/events';
import { useScratchDb } from '../support/scratch-store';

const db = useScratchDb('events');

const rejected = (tenantId: string, invoiceId: string): NewEvent => ({
  id: eventIds.invoiceRejected(tenantId, invoiceId),
  tenantId,
  type: 'invoice.rejected',
  data: {
    invoiceId,
    reasons: ['supplierCode: unknown supplier S-1'],
    rejectedAt: '2026-11-02T10:00:00.000Z',
  },
  occurredAt: new Date('2026-11-02T10:00:00Z'),
});

describe('the events outbox', () => {
  it('records a fact once, however often and however concurrently it is recorded', async () => {
    const event = rejected('once', 'INV-1');
    const results = await Promise.all(Array.from({ length: 8 }, () => recordEvent(db(), event)));
    expect(new Set(results.map((r) => r.seq)).size).toBe(1);
    expect((await recordEvent(db(), event)).seq).toBe(results[0]!.seq);
    const { events } = await listEvents(db(), 'once', { after: 0, limit: 50 });
    expect(events.map((e) => e.id)).toEqual([event.id]);
    expect(await db().collection('events').countDocuments({ tenantId: 'once' })).toBe(1);
    // Found by its id, and only for its own tenant.
    expect((await findEvent(db(), 'once', event.id))?.data).toEqual(event.data);
    expect(await findEvent(db(), 'other', event.id)).toBeNull();
  });

  it('gives concurrent recorders distinct seqs, listed in seq order', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `INV-${i}`);
    await Promise.all(ids.map((id) => recordEvent(db(), rejected('many', id))));
    const { events, recorded } = await listEvents(db(), 'many', { after: 0, limit: 100 });
    expect(events).toHaveLength(20);
    expect(new Set(events.map((e) => e.id)).size).toBe(20);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(recorded).toBeGreaterThanOrEqual(20);
    // The newest page, without a cursor.
    const newest = await listEvents(db(), 'many', { limit: 5 });
    expect(newest.events.map((e) => e.seq)).toEqual(seqs.slice(-5));
  });

  it('never gives one seq to two events, whatever the number of writers (FerretDB runs $inc as read-then-write)', async () => {
    // Recorders on several connections and clients at once, as several workers would.
    const clients = await Promise.all([1, 2, 3].map(() => MongoClient.connect(inject('mongoUri'))));
    try {
      const dbs = clients.map((client) => client.db(db().databaseName));
      const ids = Array.from({ length: 45 }, (_, i) => `W-${i}`);
      await Promise.all(ids.map((id, i) => recordEvent(dbs[i % dbs.length]!, rejected('writers', id))));
      const { events, recorded } = await listEvents(db(), 'writers', { after: 0, limit: 100 });
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
      expect(new Set(events.map((e) => e.id)).size).toBe(45);
      expect(recorded).toBe(45);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });

  it('moves a late event behind a gap delivery closed: never delivered out of order, never lost', async () => {
    const tenant = 'gaps';
    await recordEvent(db(), rejected(tenant, 'A')); // seq 1
    // A recorder that took seq 2 and has not inserted yet: delivery, seeing seq 3 land, closes 2.
    const sequences = db().collection<{ _id: string; seq: number }>('event_sequences');
    await sequences.updateOne({ _id: tenant }, { $inc: { seq: 1 } });
    await recordEvent(db(), rejected(tenant, 'C')); // seq 3
    const slots = await readSlots(db(), tenant, 0, 3);
    expect(slots.map((s) => s.kind)).toEqual(['event', 'empty', 'event']);
    expect(await closeGap(db(), tenant, 2)).toBe(true);
    await advanceDelivered(db(), tenant, 3);
    // The slow recorder's seq 2 is closed: its insert loses, and it takes a new seq instead.
    const events = db().collection('events');
    const eventIdDocs = db().collection<{ _id: string; tenantId: string; seq: number }>('event_ids');
    const late = rejected(tenant, 'B');
    await eventIdDocs.insertOne({ _id: late.id, tenantId: tenant, seq: 2 });
    const stored = await recordEvent(db(), late);
    expect(stored.seq).toBe(4);
    expect(await events.countDocuments({ tenantId: tenant })).toBe(3);
    expect((await readSlots(db(), tenant, 3, 1))[0]).toMatchObject({ kind: 'event', event: { id: late.id } });
    // A closed gap cannot be closed twice, and an event's seq cannot be closed.
    expect(await closeGap(db(), tenant, 2)).toBe(false);
    expect(await closeGap(db(), tenant, 4)).toBe(false);
    expect(await eventPositions(db(), tenant)).toEqual({ recorded: 4, delivered: 3 });
    expect(await tenantsBehind(db())).toContain(tenant);
    await advanceDelivered(db(), tenant, 4);
    await advanceDelivered(db(), tenant, 1); // never moves back
    expect(await eventPositions(db(), tenant)).toEqual({ recorded: 4, delivered: 4 });
    expect(await tenantsBehind(db())).not.toContain(tenant);
  });
});
