/**
 * The simulator's in-memory Xledger installation: the entity tree, one table per record type,
 * delta logs, GL import lines and errors, tokens and closed periods. Everything that changes
 * data goes through this class so that modifiedAt and deltas are always kept in step.
 */
import { randomBytes } from 'node:crypto';
import { SEED_TOKENS, SCOPES, READ_SCOPES, type ApiToken, type Scope } from './auth';
import { toCetWallClock } from './clock';
import { RecordTable, type CodeKey, type SimRecord } from './record-table';
import { served } from './shapes';

export const RECORD_TYPES = [
  'suppliers',
  'accounts',
  'objectKinds',
  'objectValues',
  'taxTableSetups',
  'currencies',
  'exchangeRates',
  'employees',
  'projects',
  'assets',
] as const;

export type RecordType = (typeof RECORD_TYPES)[number];

/** Types whose changes are exposed by a delta query (supplier_deltas, employee_deltas, project_deltas). */
export const DELTA_TYPES = ['suppliers', 'employees', 'projects'] as const;
export type DeltaType = (typeof DELTA_TYPES)[number];

const isDeltaType = (type: RecordType): type is DeltaType =>
  (DELTA_TYPES as readonly string[]).includes(type);

/**
 * Xledger keeps deltas for about 3 days (M: Skyvell's delta fetcher). (A) the exact span; the
 * simulator drops a delta once it is older than the retention (SimulatorOptions.deltaRetentionMs).
 */
export const DEFAULT_DELTA_RETENTION_MS = 3 * 24 * 60 * 60 * 1000;

export type MutationType = 'ADDED' | 'UPDATED' | 'DELETED';

export interface DeltaEntry {
  /** Monotonically increasing over the whole installation: the delta cursor. */
  seq: number;
  dbId: number;
  mutationType: MutationType;
  /** The record's owner when the delta happened, so that visibility survives deletion. */
  ownerDbId: number;
  /** When it happened (epoch ms): deltas older than the retention are dropped. */
  at: number;
}

export interface EntityRecord extends SimRecord {
  code: string;
  description: string;
  /** The entity's own position in the tree; null for the root. */
  parentDbId: number | null;
}

export interface EntityRef {
  dbId: number;
  code: string;
  description: string;
  /** The entity's own owner (its parent; the root owns itself), as Xledger's owner { ownerDbId ownerCode }. */
  ownerDbId: number;
  ownerCode: string | null;
}

export type OwnerSet = 'CURRENT' | 'UPPER' | 'LOWER' | 'MINE' | 'ALL';

function byOwnerAndCode(record: SimRecord): string | null {
  return typeof record.code === 'string' ? `${record.ownerDbId}|${record.code}` : null;
}

/** Object values are unique per kind, not per owner: TAX_RULE "1" and DEPARTMENT "1" may coexist. */
export function objectValueKey(ownerDbId: number, objectKindDbId: unknown, code: string): string {
  return `${ownerDbId}|${String(objectKindDbId)}|${code}`;
}

const CODE_KEYS: Record<RecordType, CodeKey | null> = {
  suppliers: byOwnerAndCode,
  accounts: byOwnerAndCode,
  objectKinds: (record) => (typeof record.name === 'string' ? `${record.ownerDbId}|${record.name}` : null),
  objectValues: (record) =>
    typeof record.code === 'string'
      ? objectValueKey(record.ownerDbId, record.objectKindDbId, record.code)
      : null,
  taxTableSetups: null,
  currencies: byOwnerAndCode,
  exchangeRates: null,
  employees: byOwnerAndCode,
  projects: byOwnerAndCode,
  assets: byOwnerAndCode,
};

/** Where a record's "closed" date lives; accounts keep theirs in an admin-only toDate. */
export function isClosed(type: RecordType, record: SimRecord, today: string): boolean {
  const before = (value: unknown) => typeof value === 'string' && value < today;
  switch (type) {
    case 'suppliers':
    case 'accounts':
    case 'projects':
      return before(record.toDate);
    case 'objectValues':
      return before(record.dateTo);
    case 'employees':
      return before(record.employmentTo);
    case 'assets':
      return record.assetStatus === 'DISPOSED';
    default:
      return false;
  }
}

export class SimulatorState {
  readonly entities: EntityRecord[] = [];
  readonly tables: Record<RecordType, RecordTable>;
  readonly deltas: Record<DeltaType, DeltaEntry[]> = { suppliers: [], employees: [], projects: [] };
  /** Per delta type, the highest sequence number dropped by the retention (0: none yet). */
  private readonly prunedThrough: Record<DeltaType, number> = { suppliers: 0, employees: 0, projects: 0 };
  /** How long deltas are kept (see DEFAULT_DELTA_RETENTION_MS). */
  deltaRetentionMs = DEFAULT_DELTA_RETENTION_MS;
  /**
   * How long after its change a delta becomes visible (M: Profitbase, about 30 s; the CLI's
   * default). 0 here, so that tests see deltas at once unless they ask for the lag. (A) the lag
   * is the same for every delta, so deltas become visible in cursor order.
   */
  deltaLagMs = 0;
  /** Names of things records point to by id only (charts of accounts, account groups). */
  readonly names = new Map<number, { code?: string; name?: string }>();
  readonly glImportItems = new RecordTable();
  readonly glImportItemErrors = new RecordTable();
  /** Posted payables: what a processed voucher's accounts-payable line became (see gl-import.ts). */
  readonly apTransactions = new RecordTable();
  /** Tokens by secret. */
  readonly tokens = new Map<string, ApiToken>();
  /** Per entity: the last day of the closed accounting period (postings on or before it fail). */
  readonly closedPeriods = new Map<number, string>();
  /** Told of every record change after it is applied (the webhook deliveries: webhooks.ts). */
  readonly changeListeners: Array<(type: RecordType, record: SimRecord, mutationType: MutationType) => void> =
    [];
  private readonly entityById = new Map<number, EntityRecord>();
  private readonly entityRefs = new Map<number, EntityRef>();
  private readonly visibleCache = new Map<string, ReadonlySet<number>>();
  private nextDbId: number;
  private nextDeltaSeq = 1;

  constructor(
    readonly seed: number,
    firstRecordDbId: number,
    /** The wall clock; tests of time-dependent behaviour may replace it. */
    public now: () => Date = () => new Date(),
  ) {
    this.nextDbId = firstRecordDbId;
    this.tables = Object.fromEntries(
      RECORD_TYPES.map((type) => [type, new RecordTable(CODE_KEYS[type])]),
    ) as Record<RecordType, RecordTable>;
  }

  nowWallClock(): string {
    return toCetWallClock(this.now());
  }

  allocateDbId(): number {
    return this.nextDbId++;
  }

  // --- entities ------------------------------------------------------------------------

  addEntity(entity: EntityRecord): void {
    this.entities.push(entity);
    this.entities.sort((a, b) => a.dbId - b.dbId);
    this.entityById.set(entity.dbId, entity);
    this.entityRefs.set(entity.dbId, {
      dbId: entity.dbId,
      code: entity.code,
      description: entity.description,
      ownerDbId: entity.ownerDbId,
      ownerCode: this.entityById.get(entity.ownerDbId)?.code ?? null,
    });
    this.visibleCache.clear();
  }

  /**
   * Moves an entity under another parent: e.g. a client leaving an owner's tree, out of sight of
   * the owner's tokens (its records, by id too). Tests of what a shrinking entity tree must not do.
   */
  moveEntity(dbId: number, parentDbId: number): void {
    const entity = this.entityById.get(dbId);
    if (!entity || !this.entityById.has(parentDbId)) throw new Error(`no entity ${dbId} or ${parentDbId}`);
    entity.parentDbId = parentDbId;
    entity.ownerDbId = parentDbId;
    const ref = this.entityRefs.get(dbId);
    if (ref)
      this.entityRefs.set(dbId, {
        ...ref,
        ownerDbId: parentDbId,
        ownerCode: this.entityById.get(parentDbId)?.code ?? null,
      });
    this.visibleCache.clear();
  }

  entity(dbId: number): EntityRecord | undefined {
    return this.entityById.get(dbId);
  }

  entityRef(dbId: number): EntityRef | null {
    return this.entityRefs.get(dbId) ?? null;
  }

  /** An entity given as { dbId } or { code }, as GL import's `owner` input does. */
  findEntity(ref: { dbId?: number | null; code?: string | null }): EntityRecord | undefined {
    if (ref.dbId != null) return this.entity(ref.dbId);
    if (ref.code != null) return this.entities.find((entity) => entity.code === ref.code);
    return undefined;
  }

  childrenOf(dbId: number): number[] {
    return this.entities.filter((entity) => entity.parentDbId === dbId).map((entity) => entity.dbId);
  }

  descendantsOf(dbId: number): number[] {
    const result: number[] = [];
    const queue = this.childrenOf(dbId);
    while (queue.length > 0) {
      const next = queue.shift() as number;
      result.push(next);
      queue.push(...this.childrenOf(next));
    }
    return result;
  }

  ancestorsOf(dbId: number): number[] {
    const result: number[] = [];
    let current = this.entity(dbId)?.parentDbId ?? null;
    while (current != null) {
      result.push(current);
      current = this.entity(current)?.parentDbId ?? null;
    }
    return result;
  }

  /** Owners (entities whose parent is the root). */
  owners(): EntityRecord[] {
    const root = this.entities.find((entity) => entity.parentDbId === null);
    return root ? this.entities.filter((entity) => entity.parentDbId === root.dbId) : [];
  }

  /**
   * The entities whose records a token may receive for an ownerSet. A token sees its entity
   * and everything below it (H); the meaning of ownerSet is undocumented (A):
   * ALL = all the token sees, CURRENT/MINE = the token's entity, LOWER = below it,
   * UPPER = above it — no entity the token can list (records owned above: recordOwners).
   */
  visibleOwners(token: ApiToken, ownerSet: OwnerSet = 'ALL'): ReadonlySet<number> {
    const key = `${token.entityDbId}|${ownerSet}`;
    let visible = this.visibleCache.get(key);
    if (!visible) {
      const reach = new Set([token.entityDbId, ...this.descendantsOf(token.entityDbId)]);
      let chosen: number[];
      switch (ownerSet) {
        case 'CURRENT':
        case 'MINE':
          chosen = [token.entityDbId];
          break;
        case 'LOWER':
          chosen = this.descendantsOf(token.entityDbId);
          break;
        case 'UPPER':
          chosen = this.ancestorsOf(token.entityDbId);
          break;
        default:
          chosen = [...reach];
      }
      visible = new Set(chosen.filter((dbId) => reach.has(dbId)));
      this.visibleCache.set(key, visible);
    }
    return visible;
  }

  /**
   * The entities whose records (and deltas) a token receives for an ownerSet: those of
   * visibleOwners, plus — for ALL and UPPER — the group entity above the token's (the tree's
   * root), whose records Xledger shares down its tree (M: grasp-labs' OwnerSet has UPPER beside
   * CURRENT, so records owned above the token's entity appear; A: that only the group's do, not
   * an owner's to its clients, and that the entity list still shows only the token's entity and
   * those below it). A tenant's owner filter keeps none of them (the seed's rule).
   */
  recordOwners(token: ApiToken, ownerSet: OwnerSet = 'ALL'): ReadonlySet<number> {
    const key = `records|${token.entityDbId}|${ownerSet}`;
    let owners = this.visibleCache.get(key);
    if (!owners) {
      const group = this.ancestorsOf(token.entityDbId).filter(
        (dbId) => this.entity(dbId)?.parentDbId === null,
      );
      const below = ownerSet === 'UPPER' ? [] : [...this.visibleOwners(token, ownerSet)];
      owners = new Set([...below, ...(ownerSet === 'ALL' || ownerSet === 'UPPER' ? group : [])]);
      this.visibleCache.set(key, owners);
    }
    return owners;
  }

  /** An owner entity and its clients: the tenant's slice of the ground truth. */
  ownerTree(ownerDbId: number): { owner: number; clients: number[] } {
    return { owner: ownerDbId, clients: this.childrenOf(ownerDbId) };
  }

  // --- records -------------------------------------------------------------------------

  /** Inserts a seeded record as is (its timestamps were generated) and logs ADDED. */
  insertSeeded(type: RecordType, record: SimRecord): void {
    this.tables[type].insert(record);
    this.logDelta(type, record.dbId, 'ADDED', record.ownerDbId);
  }

  createRecord(type: RecordType, fields: Record<string, unknown> & { ownerDbId: number }): SimRecord {
    const now = this.nowWallClock();
    const record: SimRecord = { ...fields, dbId: this.allocateDbId(), createdAt: now, modifiedAt: now };
    if (type === 'currencies' || type === 'assets') {
      // The SDL gives these types no timestamps: Xledger offers no modifiedAt filter on them (M).
      delete record.createdAt;
      delete record.modifiedAt;
    }
    this.tables[type].insert(record);
    this.logDelta(type, record.dbId, 'ADDED', record.ownerDbId);
    this.notifyChange(type, record, 'ADDED');
    return record;
  }

  patchRecord(type: RecordType, dbId: number, patch: Record<string, unknown>): SimRecord | undefined {
    const stamp = type === 'currencies' || type === 'assets' ? {} : { modifiedAt: this.nowWallClock() };
    const record = this.tables[type].replace(dbId, { ...patch, ...stamp });
    if (record) this.logDelta(type, dbId, 'UPDATED', record.ownerDbId);
    if (record) this.notifyChange(type, record, 'UPDATED');
    return record;
  }

  deleteRecord(type: RecordType, dbId: number): SimRecord | undefined {
    const record = this.tables[type].remove(dbId);
    if (record) this.logDelta(type, dbId, 'DELETED', record.ownerDbId);
    if (record) this.notifyChange(type, record, 'DELETED');
    return record;
  }

  private notifyChange(type: RecordType, record: SimRecord, mutationType: MutationType): void {
    for (const listener of this.changeListeners) listener(type, record, mutationType);
  }

  private logDelta(type: RecordType, dbId: number, mutationType: MutationType, ownerDbId: number): void {
    if (!isDeltaType(type)) return;
    this.deltas[type].push({
      seq: this.nextDeltaSeq++,
      dbId,
      mutationType,
      ownerDbId,
      at: this.now().getTime(),
    });
  }

  /** The deltas of a type still kept: those older than the retention are dropped first. */
  retainedDeltas(type: DeltaType): DeltaEntry[] {
    const log = this.deltas[type];
    const cutoff = this.now().getTime() - this.deltaRetentionMs;
    let dropped = 0;
    while (dropped < log.length && (log[dropped] as DeltaEntry).at < cutoff) dropped += 1;
    if (dropped > 0) {
      this.prunedThrough[type] = (log[dropped - 1] as DeltaEntry).seq;
      log.splice(0, dropped);
    }
    return log;
  }

  /** Whether a delta is visible yet: the lag after its change has passed (deltaLagMs). */
  deltaVisible(delta: DeltaEntry): boolean {
    return delta.at + this.deltaLagMs <= this.now().getTime();
  }

  /**
   * Whether Xledger still knows a delta cursor: (A) a cursor is refused once the delta it names
   * was dropped by the retention, or when no delta ever had it. The error's shape is in
   * resolvers.ts#deltaCursorRefused.
   */
  knowsDeltaCursor(type: DeltaType, cursor: number): boolean {
    this.retainedDeltas(type);
    return cursor > this.prunedThrough[type] && cursor < this.nextDeltaSeq;
  }

  /**
   * Ground truth for one owner: every live record of the owner entity or one of its clients,
   * as Xledger serves it (shapes.ts), marked "owner" (shared with all clients) or "client"
   * (that client only).
   */
  truth(ownerDbId: number, type: RecordType): Array<SimRecord & { entityDbId: number; visibility: string }> {
    const clients = new Set(this.childrenOf(ownerDbId));
    const result: Array<SimRecord & { entityDbId: number; visibility: string }> = [];
    for (const record of this.tables[type].live()) {
      if (record.ownerDbId === ownerDbId || clients.has(record.ownerDbId)) {
        const visibility = record.ownerDbId === ownerDbId ? 'owner' : 'client';
        result.push({ ...served(type, record, this.names), entityDbId: record.ownerDbId, visibility });
      }
    }
    return result;
  }

  // --- tokens --------------------------------------------------------------------------

  addToken(input: { name: string; entityDbId: number; scopes: readonly Scope[]; secret?: string }): ApiToken {
    if (!this.entity(input.entityDbId)) throw new Error(`Unknown entity ${input.entityDbId}`);
    if ([...this.tokens.values()].some((token) => token.name === input.name)) {
      throw new Error(`A token named "${input.name}" exists`);
    }
    const token: ApiToken = {
      name: input.name,
      secret: input.secret ?? `xlsim-${randomBytes(18).toString('hex')}`,
      entityDbId: input.entityDbId,
      scopes: new Set(input.scopes),
    };
    this.tokens.set(token.secret, token);
    return token;
  }

  tokenByName(name: string): ApiToken | undefined {
    return [...this.tokens.values()].find((token) => token.name === name);
  }

  removeToken(name: string): boolean {
    const token = this.tokenByName(name);
    return token ? this.tokens.delete(token.secret) : false;
  }

  /** The well-known tokens of SEED_TOKENS, bound to the seeded entities. */
  addSeedTokens(entities: { root: number; owner1: number; owner2: number; owner1Client1: number }): void {
    const noSupplier = READ_SCOPES.filter((scope) => scope !== 'SUPPLIER_READ');
    this.addToken({ name: 'root', entityDbId: entities.root, scopes: SCOPES, secret: SEED_TOKENS.root });
    this.addToken({
      name: 'owner1',
      entityDbId: entities.owner1,
      scopes: SCOPES,
      secret: SEED_TOKENS.owner1,
    });
    this.addToken({
      name: 'owner2',
      entityDbId: entities.owner2,
      scopes: SCOPES,
      secret: SEED_TOKENS.owner2,
    });
    this.addToken({
      name: 'owner1Client1',
      entityDbId: entities.owner1Client1,
      scopes: SCOPES,
      secret: SEED_TOKENS.owner1Client1,
    });
    this.addToken({
      name: 'owner1NoSupplierRead',
      entityDbId: entities.owner1,
      scopes: noSupplier,
      secret: SEED_TOKENS.owner1NoSupplierRead,
    });
    this.addToken({
      name: 'owner1ReadOnly',
      entityDbId: entities.owner1,
      scopes: READ_SCOPES,
      secret: SEED_TOKENS.owner1ReadOnly,
    });
  }
}
