/**
 * A consumer of the change feed (README, "The change feed"): reads what changed in one data type
 * of one tenant since its cursor, page by page, and keeps the cursor in a file, written only
 * after the page it ends is handled, so a crash re-reads a page rather than skipping one.
 * Run it on a schedule, or when a `sync.completed` webhook says there is more.
 *
 *   XLEDGER_SYNC_MONGODB_URI=… XLEDGER_SYNC_TEMPORAL_ADDRESS=… XLEDGER_SYNC_READ_ONLY=true \
 *     node change-feed-consumer.js <tenant> <dataType> <cursor-file>
 *
 * It only reads, so it runs read-only (XLEDGER_SYNC_READ_ONLY=true): no encryption key needed,
 * and nothing it could call would write.
 *
 * It prints one JSON line per page and a last one with the totals. Type-checked and run from
 * the packed package in test/build/package.test.ts.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { DATA_TYPES, isDataType, XledgerSyncClient } from '@semine/xledger-sync';

const [tenantId, dataType, cursorFile] = process.argv.slice(2);
if (!tenantId || !dataType || !cursorFile || !isDataType(dataType)) {
  console.error(`usage: change-feed-consumer <tenant> <${DATA_TYPES.join('|')}> <cursor-file>`);
  process.exit(2);
}

async function readCursor(file: string): Promise<number> {
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as { after: number }).after;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/** Written to a temporary file and renamed over the old one: a crash leaves one or the other. */
async function saveCursor(file: string, after: number): Promise<void> {
  await writeFile(`${file}.tmp`, JSON.stringify({ after }));
  await rename(`${file}.tmp`, file);
}

// Its own XLEDGER_SYNC_ variables only: the host's MONGODB_URI (SEMINE's database) is never read.
const api = await XledgerSyncClient.fromEnv();
try {
  let after = await readCursor(cursorFile);
  let upserts = 0;
  let deletions = 0;
  for (;;) {
    const page = await api.changes(tenantId, dataType, { after, limit: 500 });
    for (const change of page.changes) {
      // Here SEMINE writes change.record into its own tables (or deletes it), keyed by
      // change.record.dbId: idempotently, since a page may be read twice after a crash. The
      // record is JSON-safe (ISO strings for times) and typed by its data type and stream:
      // `if (page.dataType === 'suppliers') change.record.code` is a `string | null`.
      if (change.deleted) deletions += 1;
      else upserts += 1;
    }
    await saveCursor(cursorFile, page.next);
    console.log(JSON.stringify({ page: page.changes.length, next: page.next }));
    after = page.next;
    if (!page.hasMore) break;
  }
  console.log(JSON.stringify({ tenantId, dataType, upserts, deletions, cursor: after }));
} finally {
  await api.close();
}
