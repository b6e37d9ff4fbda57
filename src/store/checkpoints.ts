import type { Db } from 'mongodb';
import { collections } from './collections';
import type { StreamCheckpoint } from '../domain/records';

const checkpointId = (tenantId: string, stream: string) => `${tenantId}:${stream}`;

export async function loadCheckpoint(db: Db, tenantId: string, stream: string): Promise<StreamCheckpoint> {
  const found = await db
    .collection<StreamCheckpoint>(collections.checkpoints)
    .findOne({ _id: checkpointId(tenantId, stream) });
  return (
    found ?? {
      _id: checkpointId(tenantId, stream),
      tenantId,
      stream,
      highWaterMark: null,
      deltaCursor: null,
      deltaCursorAt: null,
      lookupFilter: null,
      lastFullPassAt: null,
      lastPassAt: null,
    }
  );
}

export async function saveCheckpoint(db: Db, checkpoint: StreamCheckpoint): Promise<void> {
  const { _id, ...fields } = checkpoint;
  await db
    .collection<StreamCheckpoint>(collections.checkpoints)
    .updateOne({ _id }, { $set: fields }, { upsert: true });
}
