import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { MongoClient } from 'mongodb';
import { describe, expect, inject, it } from 'vitest';
import { TenantIdKey } from '../../src/temporal/search-attributes';
import { createNoteActivities, type Note } from '../fixtures/devstack/activities';
import { noteRoundTrip } from '../fixtures/devstack/workflows';

describe('Temporal workflow + activities on the dev server, writing to the Mongo-wire server', () => {
  it('round-trips a note through two activities and is findable by search attribute', async () => {
    const address = inject('temporalAddress');
    const namespace = inject('temporalNamespace');
    const mongo = new MongoClient(inject('mongoUri'), { serverSelectionTimeoutMS: 10_000 });
    const nativeConnection = await NativeConnection.connect({ address });
    const connection = await Connection.connect({ address });
    try {
      const notes = mongo.db().collection<Note>('devstack_notes');
      const taskQueue = `devstack-${randomUUID()}`;
      const worker = await Worker.create({
        connection: nativeConnection,
        namespace,
        taskQueue,
        workflowsPath: fileURLToPath(new URL('../fixtures/devstack/workflows.ts', import.meta.url)),
        activities: createNoteActivities(notes),
      });
      const client = new Client({ connection, namespace });
      const tenant = `devstack-${randomUUID()}`;
      const workflowId = `note-${randomUUID()}`;

      const result = await worker.runUntil(
        client.workflow.execute(noteRoundTrip, {
          taskQueue,
          workflowId,
          args: [workflowId, 'hello from the workflow'],
          typedSearchAttributes: [{ key: TenantIdKey, value: tenant }],
        }),
      );

      expect(result).toBe('hello from the workflow');
      expect(await notes.findOne({ _id: workflowId })).toMatchObject({ text: 'hello from the workflow' });

      // Visibility is eventually consistent: poll until the run shows up by its search attribute.
      const deadline = Date.now() + 20_000;
      let found: string[] = [];
      while (found.length === 0 && Date.now() < deadline) {
        found = [];
        for await (const wf of client.workflow.list({ query: `TenantId = "${tenant}"` }))
          found.push(wf.workflowId);
        if (found.length === 0) await new Promise((r) => setTimeout(r, 250));
      }
      expect(found).toEqual([workflowId]);
    } finally {
      await connection.close();
      await nativeConnection.close();
      await mongo.close();
    }
  });
});
