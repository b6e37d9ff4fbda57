/**
 * GL import: addGLImportItems stages lines; after a delay they are processed per voucher (lines
 * of one owner sharing a trRegNumber) into a posted transaction or import errors. Xledger's
 * processing is asynchronous in our model (A); the checks are the rejections the sync must
 * surface (unknown supplier/account/tax rule/currency, unbalanced voucher, closed period).
 * There is no idempotency here, as in the real API (H): the same extIdentifier twice makes
 * two lines. Preventing that is the client's job.
 *
 * A posted voucher's accounts-payable line becomes a record of `apTransactions` (M); whether
 * its staging lines stay readable in `glImportItems` is not published (A: ProcessedLineModel).
 * How the simulator tracks processing (a line's status, its transaction) is internal: the
 * schema serves only what public sources show.
 */
import { GraphQLError } from 'graphql';
import type { ApiToken } from './auth';
import { invalidValue, decimalToCents } from './scalars';
import { objectValueKey, type SimulatorState } from './state';
import type { RecordTable, SimRecord } from './record-table';
import type { UploadedFile } from './uploads';

/** Mass mutations accept at most 500 nodes per request (H). */
export const MAX_IMPORT_NODES = 500;

export type LineStatus = 'ACCEPTED' | 'POSTED' | 'FAILED';

/**
 * (A) What becomes of a staging line once Xledger has made it a posted transaction is not
 * published. Two models, switchable at start (`processedLines`) and at run time
 * (`PUT /admin/gl-import/model`):
 * - `disappear` (the default, the cautious model): a posted line leaves `glImportItems`, as
 *   other ERPs clear posted rows from their import tables; its payable is in `apTransactions`.
 * - `stay`: posted lines stay readable in `glImportItems`.
 * In both, a line that failed stays readable, with its errors, for someone to correct (A).
 */
export const PROCESSED_LINE_MODELS = ['disappear', 'stay'] as const;
export type ProcessedLineModel = (typeof PROCESSED_LINE_MODELS)[number];
export const DEFAULT_PROCESSED_LINE_MODEL: ProcessedLineModel = 'disappear';

/**
 * (A) Rules of a node that make Xledger refuse the whole request (INVALID_VALUE). Neither is
 * published: every public posting example sends a `jobLevel` (so we require it), and their
 * `trRegNumber` values have at most 8 digits (so we refuse longer ones).
 */
export const MAX_TR_REG_NUMBER = 99_999_999;
function refusedNode(node: ImportInput['node'], index: number): string | null {
  const jobLevel = node.jobLevel as {
    dbId?: number | null;
    dbSubId?: number | null;
    code?: string | null;
  } | null;
  if (!jobLevel || (jobLevel.dbId == null && jobLevel.dbSubId == null && jobLevel.code == null)) {
    return `inputs[${index}].node.jobLevel is required: give { dbSubId } or { dbId }`;
  }
  const trRegNumber = node.trRegNumber;
  if (typeof trRegNumber === 'number' && (trRegNumber < 0 || trRegNumber > MAX_TR_REG_NUMBER)) {
    return `inputs[${index}].node.trRegNumber ${trRegNumber} is out of range: at most 8 digits`;
  }
  return null;
}

/** (A) The level of every import error the simulator makes: the real levels' ids and codes are not published. */
export const IMPORT_ERROR_LEVEL = {
  dbId: 2,
  dbSubId: 2,
  code: 'ERROR',
  name: 'Error',
  ownerDbId: null,
  definitionId: null,
};

/**
 * (A) How an import error points back to its line is not published. Errors carry a
 * `transactionDbId` (M); here it is the dbId of the staging line the error is about.
 */
function errorPointingTo(line: SimRecord): Record<string, unknown> {
  return { transactionDbId: line.dbId };
}

/**
 * (A) How a processed line becomes a posted transaction is not published. Here the voucher's
 * accounts-payable line (the one whose subledger is a supplier) becomes one `apTransactions`
 * record keeping the line's extIdentifier; cost lines become ledger lines the API does not serve.
 */
function payableOf(
  line: SimRecord,
  refs: Record<string, unknown>,
  header: Record<string, unknown>,
  dbId: () => number,
): SimRecord | null {
  const subledger = refs.subledger as { dbId: number } | undefined;
  if (!subledger) return null;
  return {
    dbId: dbId(),
    ownerDbId: line.ownerDbId,
    invoiceNumber: line.invoiceNumber ?? null,
    text: line.text ?? null,
    amount: line.amount ?? null,
    invoiceAmount: line.invoiceAmount ?? line.amount ?? null,
    invoiceDate: line.invoiceDate ?? null,
    dueDate: line.dueDate ?? null,
    paymentReference: line.paymentReference ?? null,
    extIdentifier: line.extIdentifier ?? null,
    subledgerDbId: subledger.dbId,
    currency: refs.currency ?? line.currency ?? null,
    headerCreatedAt: header.createdAt,
    headerModifiedAt: header.modifiedAt,
    transactionHeader: header,
  };
}

interface CodeInput {
  code?: string | null;
  dbId?: number | null;
}

export interface ImportInput {
  clientId?: string | null;
  node: Record<string, unknown> & { owner?: CodeInput | null };
}

const REF_FIELDS = [
  'transactionSource',
  'account',
  'taxRule',
  'currency',
  'subledger',
  'glObject1',
  'glObject2',
  'glObject3',
  'glObject4',
  'glObject5',
  'project',
] as const;

const PLAIN_FIELDS = [
  'postedDate',
  'invoiceDate',
  'dueDate',
  'amount',
  'invoiceNumber',
  'extIdentifier',
  'yourReference',
  'paymentReference',
  'trRegNumber',
  'text',
  'invoiceAmount',
  'invoiceFile',
] as const;

/** A job level as a line and a transaction header show it (the input's reference, echoed). */
function jobLevelRef(input: unknown): Record<string, unknown> | null {
  if (!input || typeof input !== 'object') return null;
  const ref = input as {
    dbId?: number | null;
    dbSubId?: number | null;
    code?: string | null;
    name?: string | null;
  };
  return {
    dbId: ref.dbId ?? null,
    dbSubId: ref.dbSubId ?? null,
    code: ref.code ?? null,
    name: ref.name ?? null,
    ownerDbId: null,
    definitionId: null,
  };
}

function codeRef(
  input: unknown,
): { dbId: number | null; code: string | null; description: string | null } | null {
  if (!input || typeof input !== 'object') return null;
  const ref = input as CodeInput;
  return { dbId: ref.dbId ?? null, code: ref.code ?? null, description: null };
}

export class GlImport {
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextVoucherNumber = 1;
  /** Files attached to staged lines, by line dbId (kept apart from the records: never served). */
  readonly documents = new Map<number, UploadedFile>();

  constructor(
    private readonly state: SimulatorState,
    public delayMs: number,
    /** (A) Whether posted lines stay readable in glImportItems; see ProcessedLineModel. */
    public processedLines: ProcessedLineModel = DEFAULT_PROCESSED_LINE_MODEL,
  ) {}

  /**
   * Lagging reads (A: how soon Xledger's reads see a write is not published): a staged line, an
   * import error or a posted payable is served only this long after it was written. 0: at once.
   * Set by `PUT /admin/gl-import/model` (`lookupLagMs`); measured in real time.
   */
  public lookupLagMs = 0;

  /** Whether `glImportItems` serves the line now (a posted line is gone in the `disappear` model). */
  readable(line: SimRecord): boolean {
    return !(line.status === 'POSTED' && this.processedLines === 'disappear') && this.visibleYet(line);
  }

  /** Whether a read sees the record yet (see lookupLagMs). */
  visibleYet(record: SimRecord): boolean {
    const writtenAt = record.writtenAt;
    return typeof writtenAt !== 'number' || Date.now() >= writtenAt + this.lookupLagMs;
  }

  /**
   * Validates the whole request first (so a refused request creates nothing), then stages lines.
   * A line's `invoiceFile` in a multipart request (`uploads`) must name one of its file parts,
   * which is attached to the line; in a JSON request it is a string that attaches nothing (a URL
   * there is not an attachment: round three).
   */
  add(
    token: ApiToken,
    inputs: readonly ImportInput[],
    uploads?: ReadonlyMap<string, UploadedFile>,
  ): Array<{ clientId: string | null; node: SimRecord }> {
    if (inputs.length > MAX_IMPORT_NODES) {
      throw invalidValue(
        `addGLImportItems accepts at most ${MAX_IMPORT_NODES} nodes per request, got ${inputs.length}`,
      );
    }
    inputs.forEach(({ node }, index) => {
      const refusal = refusedNode(node, index);
      if (refusal) throw invalidValue(refusal);
      // (A) Xledger's answer to a reference to a missing part is not published: refused whole.
      if (uploads && typeof node.invoiceFile === 'string' && !uploads.has(node.invoiceFile)) {
        throw invalidValue(
          `inputs[${index}].node.invoiceFile names ${JSON.stringify(node.invoiceFile)}, but the request has no file part of that name`,
        );
      }
    });
    const visible = this.state.visibleOwners(token, 'ALL');
    const owners = inputs.map(({ node }) => {
      if (!node.owner) return token.entityDbId;
      const entity = this.state.findEntity(node.owner);
      if (!entity || !visible.has(entity.dbId)) {
        const named = node.owner.code ?? node.owner.dbId;
        throw new GraphQLError(
          `Entity ${JSON.stringify(named)} does not exist or is not visible to this token`,
          {
            extensions: { code: 'FORBIDDEN' },
          },
        );
      }
      return entity.dbId;
    });
    const createdAt = this.state.nowWallClock();
    const created = inputs.map(({ clientId, node }, index) => {
      const line: SimRecord = {
        dbId: this.state.allocateDbId(),
        ownerDbId: owners[index] as number,
        createdAt,
        modifiedAt: createdAt,
        // Internal: how processing stands; never served as such.
        status: 'ACCEPTED' satisfies LineStatus,
        transactionHeaderDbId: null,
        clientId: clientId ?? null,
        // Internal: when it was written (lagging reads, lookupLagMs).
        writtenAt: Date.now(),
      };
      for (const field of PLAIN_FIELDS) line[field] = node[field] ?? null;
      for (const field of REF_FIELDS) line[field] = codeRef(node[field]);
      line.jobLevel = jobLevelRef(node.jobLevel);
      line.jobLevelDbId = (line.jobLevel as { dbId: number | null } | null)?.dbId ?? null;
      this.state.glImportItems.insert(line);
      const file =
        uploads && typeof node.invoiceFile === 'string' ? uploads.get(node.invoiceFile) : undefined;
      if (file) this.documents.set(line.dbId, file);
      return { clientId: clientId ?? null, node: line };
    });
    const lineIds = created.map(({ node }) => node.dbId);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.process(lineIds);
    }, this.delayMs);
    this.timers.add(timer);
    return created;
  }

  /** Processes every line still ACCEPTED (the admin "process now" button). */
  processAllPending(): number {
    const pending = this.state.glImportItems.rows.filter((line) => line.status === 'ACCEPTED');
    return this.process(pending.map((line) => line.dbId));
  }

  /** Posts or rejects the given lines, voucher by voucher. Returns how many lines were processed. */
  process(lineIds: readonly number[]): number {
    const vouchers = new Map<string, SimRecord[]>();
    for (const dbId of lineIds) {
      const line = this.state.glImportItems.get(dbId);
      if (!line || line.status !== 'ACCEPTED') continue;
      const key = `${line.ownerDbId}|${line.trRegNumber ?? `line-${line.dbId}`}`;
      const lines = vouchers.get(key) ?? [];
      lines.push(line);
      vouchers.set(key, lines);
    }
    let processed = 0;
    for (const lines of vouchers.values()) {
      this.processVoucher(lines);
      processed += lines.length;
    }
    return processed;
  }

  private processVoucher(lines: SimRecord[]): void {
    const now = this.state.nowWallClock();
    const problems = new Map<number, string[]>();
    const resolved = new Map<number, Record<string, unknown>>();
    let balance = 0;
    let amountsValid = true;
    for (const line of lines) {
      const { errors, refs } = this.checkLine(line);
      problems.set(line.dbId, errors);
      resolved.set(line.dbId, refs);
      const cents = typeof line.amount === 'string' ? decimalToCents(line.amount) : null;
      if (cents === null) amountsValid = false;
      else balance += cents;
    }
    const voucher = lines[0]?.trRegNumber ?? lines[0]?.dbId;
    if (amountsValid && balance !== 0) {
      const message = `Voucher ${voucher} does not balance: its lines sum to ${(balance / 100).toFixed(2)}, not 0.00`;
      for (const line of lines) problems.get(line.dbId)?.push(message);
    }
    const failed = [...problems.values()].some((errors) => errors.length > 0);
    if (failed) {
      for (const line of lines) {
        const errors = problems.get(line.dbId) ?? [];
        if (errors.length === 0)
          errors.push(`Voucher ${voucher} was not posted: another of its lines has errors`);
        this.state.glImportItems.replace(line.dbId, {
          status: 'FAILED' satisfies LineStatus,
          modifiedAt: now,
        });
        for (const message of errors) {
          this.state.glImportItemErrors.insert({
            dbId: this.state.allocateDbId(),
            message,
            errorLevel: IMPORT_ERROR_LEVEL,
            errorLevelDbId: IMPORT_ERROR_LEVEL.dbId,
            ...errorPointingTo(line),
            objectValue: null,
            createdAt: now,
            ownerDbId: line.ownerDbId,
            writtenAt: Date.now(),
          });
        }
      }
      return;
    }
    const first = lines[0] as SimRecord;
    const header = {
      dbId: this.state.allocateDbId(),
      transactionNumber: this.nextVoucherNumber++,
      text: `GL import voucher ${voucher}`,
      postedDate: first.postedDate ?? null,
      createdAt: now,
      modifiedAt: now,
      ownerDbId: first.ownerDbId,
      transactionSource: first.transactionSource ?? null,
      jobLevel: first.jobLevel ?? null,
    };
    for (const line of lines) {
      const refs = resolved.get(line.dbId) ?? {};
      this.state.glImportItems.replace(line.dbId, {
        ...refs,
        status: 'POSTED' satisfies LineStatus,
        transactionHeaderDbId: header.dbId,
        modifiedAt: now,
      });
      const payable = payableOf(line, refs, header, () => this.state.allocateDbId());
      if (payable) this.state.apTransactions.insert({ ...payable, writtenAt: Date.now() });
    }
  }

  /** The records a line may use are those of its entity and the entities above it (shared downwards). */
  private checkLine(line: SimRecord): { errors: string[]; refs: Record<string, unknown> } {
    const state = this.state;
    const entity = state.entity(line.ownerDbId);
    const entityCode = entity?.code ?? String(line.ownerDbId);
    const chain = [line.ownerDbId, ...state.ancestorsOf(line.ownerDbId)];
    const errors: string[] = [];
    const refs: Record<string, unknown> = {};
    const refOf = (field: string) => line[field] as { dbId: number | null; code: string | null } | null;
    const named = (ref: { dbId: number | null; code: string | null }) => ref.code ?? `dbId ${ref.dbId}`;
    const find = (
      table: RecordTable,
      ref: { dbId: number | null; code: string | null },
      key = (owner: number) => `${owner}|${ref.code}`,
    ) => {
      if (ref.dbId != null) {
        const record = table.get(ref.dbId);
        return record && chain.includes(record.ownerDbId) ? record : undefined;
      }
      if (ref.code == null) return undefined;
      for (const owner of chain) {
        const record = table.findByCode(key(owner));
        if (record) return record;
      }
      return undefined;
    };
    const asRef = (record: SimRecord) => ({
      dbId: record.dbId,
      code: record.code,
      description: record.description,
    });

    const postedDate = line.postedDate as string | null;
    if (!postedDate) errors.push('Posted date is required');
    const closedTo = state.closedPeriods.get(line.ownerDbId);
    if (postedDate && closedTo && postedDate <= closedTo) {
      errors.push(
        `Posted date ${postedDate} is in a closed period (closed up to ${closedTo}) in entity ${entityCode}`,
      );
    }
    if (typeof line.amount !== 'string' || decimalToCents(line.amount) === null) {
      errors.push('Amount is missing or is not a decimal with at most two decimals');
    }

    const account = refOf('account');
    if (!account) errors.push('Account is required');
    else {
      const record = find(state.tables.accounts, account);
      if (!record) errors.push(`Unknown account ${named(account)} in entity ${entityCode}`);
      else if (record.posting === false) errors.push(`Account ${record.code} does not allow posting`);
      else refs.account = asRef(record);
    }

    const subledger = refOf('subledger');
    const source = refOf('transactionSource');
    if (subledger) {
      const record = find(state.tables.suppliers, subledger);
      if (!record) errors.push(`Unknown supplier (subledger) ${named(subledger)} in entity ${entityCode}`);
      else refs.subledger = asRef(record);
    } else if (
      source?.code === 'AP' &&
      account &&
      find(state.tables.accounts, account)?.ledgerType === 'AP'
    ) {
      errors.push('A supplier (subledger) is required on the accounts payable line');
    }

    const taxRule = refOf('taxRule');
    if (taxRule) {
      const taxKinds = state.tables.objectKinds.rows.filter(
        (kind) =>
          kind.name === 'TAX_RULE' && chain.includes(kind.ownerDbId) && state.tables.objectKinds.isLive(kind),
      );
      let record: SimRecord | undefined;
      for (const kind of taxKinds) {
        record = find(state.tables.objectValues, taxRule, (owner) =>
          objectValueKey(owner, kind.dbId, taxRule.code ?? ''),
        );
        if (record && record.objectKindDbId === kind.dbId) break;
        record = undefined;
      }
      if (!record)
        errors.push(
          `Unknown tax rule ${named(taxRule)}: not a value of object kind TAX_RULE in entity ${entityCode}`,
        );
      else refs.taxRule = asRef(record);
    }

    const currency = refOf('currency');
    if (currency) {
      const record = find(state.tables.currencies, currency);
      if (!record) errors.push(`Unknown currency ${named(currency)} in entity ${entityCode}`);
      else refs.currency = asRef(record);
    }
    return { errors, refs };
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/**
 * Ground truth for one owner's tree: every line ever staged (with its internal status, and
 * whether glImportItems serves it now), import errors, posted payables, and extIdentifiers that
 * occur more than once (double postings).
 */
export function linesOfOwner(state: SimulatorState, glImport: GlImport, ownerDbId: number) {
  const tree = new Set([ownerDbId, ...state.childrenOf(ownerDbId)]);
  const lines = state.glImportItems.rows
    .filter((line) => tree.has(line.ownerDbId))
    .map((line): SimRecord => {
      const file = glImport.documents.get(line.dbId);
      return {
        ...line,
        readable: glImport.readable(line),
        // The attached file, without its bytes (GET /admin/gl-import/document/:lineDbId has them).
        document: file
          ? {
              fileName: file.fileName,
              contentType: file.contentType,
              size: file.bytes.length,
              sha256: file.sha256,
            }
          : null,
      };
    });
  const counts = new Map<string, number>();
  for (const line of lines) {
    if (typeof line.extIdentifier === 'string')
      counts.set(line.extIdentifier, (counts.get(line.extIdentifier) ?? 0) + 1);
  }
  const duplicates = [...counts]
    .filter(([, count]) => count > 1)
    .map(([extIdentifier, count]) => ({ extIdentifier, count }));
  const errors = state.glImportItemErrors.rows.filter((error) => tree.has(error.ownerDbId));
  const apTransactions = state.apTransactions.rows.filter((payable) => tree.has(payable.ownerDbId));
  return { processedLines: glImport.processedLines, lines, errors, apTransactions, duplicates };
}
