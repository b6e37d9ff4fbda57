/**
 * One record type in memory: rows kept sorted by dbId (new dbIds are always the highest, so
 * inserts append), a dbId → position map, and a code index for GL import validation.
 * Deletion is a tombstone (a set of dbIds) so that positions never shift under a reader and
 * no request ever copies the whole array.
 */

export interface SimRecord {
  dbId: number;
  ownerDbId: number;
  [field: string]: unknown;
}

export type CodeKey = (record: SimRecord) => string | null;

export class RecordTable {
  readonly rows: SimRecord[] = [];
  readonly deleted = new Set<number>();
  private readonly positions = new Map<number, number>();
  /** Built on first use: only GL import looks codes up, and building it costs start-up time. */
  private byCode: Map<string, number> | null = null;

  constructor(private readonly codeKey: CodeKey | null = null) {}

  insert(record: SimRecord): SimRecord {
    const last = this.rows[this.rows.length - 1];
    if (last && last.dbId >= record.dbId) {
      throw new Error(`dbId ${record.dbId} is not above the highest dbId ${last.dbId}`);
    }
    this.positions.set(record.dbId, this.rows.length);
    this.rows.push(record);
    this.indexCode(record);
    return record;
  }

  /** A live (not deleted) record. */
  get(dbId: number): SimRecord | undefined {
    if (this.deleted.has(dbId)) return undefined;
    const position = this.positions.get(dbId);
    return position === undefined ? undefined : this.rows[position];
  }

  /** Replaces the record with a patched copy; readers holding the old object are unaffected. */
  replace(dbId: number, patch: Partial<SimRecord>): SimRecord | undefined {
    const position = this.positions.get(dbId);
    const current = position === undefined ? undefined : this.rows[position];
    if (position === undefined || !current || this.deleted.has(dbId)) return undefined;
    this.unindexCode(current);
    const next: SimRecord = { ...current, ...patch, dbId: current.dbId };
    this.rows[position] = next;
    this.indexCode(next);
    return next;
  }

  remove(dbId: number): SimRecord | undefined {
    const record = this.get(dbId);
    if (!record) return undefined;
    this.deleted.add(dbId);
    this.unindexCode(record);
    return record;
  }

  isLive(record: SimRecord): boolean {
    return !this.deleted.has(record.dbId);
  }

  get liveCount(): number {
    return this.rows.length - this.deleted.size;
  }

  findByCode(key: string): SimRecord | undefined {
    if (this.byCode === null) {
      this.byCode = new Map();
      for (const record of this.live()) this.indexCode(record);
    }
    const dbId = this.byCode.get(key);
    return dbId === undefined ? undefined : this.get(dbId);
  }

  *live(): Generator<SimRecord> {
    for (const row of this.rows) if (!this.deleted.has(row.dbId)) yield row;
  }

  private indexCode(record: SimRecord): void {
    if (this.byCode === null) return;
    const key = this.codeKey?.(record);
    if (key != null) this.byCode.set(key, record.dbId);
  }

  private unindexCode(record: SimRecord): void {
    if (this.byCode === null) return;
    const key = this.codeKey?.(record);
    if (key != null && this.byCode.get(key) === record.dbId) this.byCode.delete(key);
  }
}

/** Position of the first row whose key is >= `key` (rows sorted ascending by key). */
export function lowerBound<T>(rows: readonly T[], keyOf: (row: T) => number, key: number): number {
  let low = 0;
  let high = rows.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keyOf(rows[middle] as T) < key) low = middle + 1;
    else high = middle;
  }
  return low;
}
