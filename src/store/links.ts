import type { AnyBulkWriteOperation, Db } from 'mongodb';
import type { LinkName } from '../datatypes/datatype';
import { employeesStream, projectsStream } from '../datatypes/projects';
import { taxRulesStream, taxTableSetupsStream } from '../datatypes/vat-codes';
import type { LinkFigures } from '../domain/figures';
import { boundedBulkWrite } from './bounded';
import { recordsCollection, takeChangeSeqs } from './records';
import type { StoredRecord } from '../domain/records';

/**
 * Derived fields, computed in MongoDB after a data type's streams are stored. They live
 * beside the Xledger fields (not in the content hash) and are written only when they change,
 * in bulk writes bounded to what FerretDB finishes (store/bounded.ts): a first sync changes
 * every project.
 */
export async function runLink(db: Db, tenantId: string, link: LinkName): Promise<LinkFigures> {
  switch (link) {
    case 'projectManagers':
      return resolveProjectManagers(db, tenantId);
    case 'taxPercents':
      return applyTaxPercents(db, tenantId);
  }
}

type LinkUpdate = { updateOne: { filter: { _id: string }; update: { $set: Record<string, unknown> } } };

export type ManagerResolution = 'resolved' | 'no_manager' | 'unknown_employee' | 'no_email';

/** Each project's manager → an email through the employees, or a reason why not. */
async function resolveProjectManagers(db: Db, tenantId: string): Promise<LinkFigures> {
  const employees = new Map<number, StoredRecord>();
  for await (const employee of db
    .collection<StoredRecord>(employeesStream.collection)
    .find({ tenantId, deletedAt: null }, { projection: { dbId: 1, email: 1, description: 1 } })) {
    employees.set(employee.dbId, employee);
  }
  const projects = db
    .collection<StoredRecord>(projectsStream.collection)
    .find(
      { tenantId, deletedAt: null },
      { projection: { projectManagerDbId: 1, projectManagerEmail: 1, projectManagerStatus: 1 } },
    );
  const updates: LinkUpdate[] = [];
  let unresolved = 0;
  for await (const project of projects) {
    const managerDbId = project.projectManagerDbId as number | null;
    const manager = managerDbId === null ? undefined : employees.get(managerDbId);
    const email = typeof manager?.email === 'string' && manager.email.includes('@') ? manager.email : null;
    const status: ManagerResolution =
      managerDbId === null ? 'no_manager' : !manager ? 'unknown_employee' : email ? 'resolved' : 'no_email';
    if (status === 'unknown_employee' || status === 'no_email') unresolved += 1;
    if (project.projectManagerEmail !== email || project.projectManagerStatus !== status) {
      updates.push({
        updateOne: {
          filter: { _id: project._id },
          update: { $set: { projectManagerEmail: email, projectManagerStatus: status } },
        },
      });
    }
  }
  await writeLinked(db, tenantId, projectsStream.collection, updates);
  return { link: 'projectManagers', updated: updates.length, unresolved };
}

/** Each VAT code (TAX_RULE value) gets the percentage of its latest tax table setup. */
async function applyTaxPercents(db: Db, tenantId: string): Promise<LinkFigures> {
  const latest = new Map<number, { percent: string | null; dateFrom: string }>();
  for await (const setup of db
    .collection<StoredRecord>(taxTableSetupsStream.collection)
    .find({ tenantId, deletedAt: null }, { projection: { objectValue: 1, taxPercent: 1, dateFrom: 1 } })) {
    const ruleId = (setup.objectValue as { dbId?: number } | null)?.dbId;
    if (ruleId === undefined) continue;
    const dateFrom = (setup.dateFrom as string | null) ?? '';
    const current = latest.get(ruleId);
    if (!current || dateFrom > current.dateFrom) {
      latest.set(ruleId, { percent: (setup.taxPercent as string | null) ?? null, dateFrom });
    }
  }
  const updates: LinkUpdate[] = [];
  let unresolved = 0;
  for await (const code of db
    .collection<StoredRecord>(taxRulesStream.collection)
    .find({ tenantId, deletedAt: null }, { projection: { dbId: 1, percent: 1 } })) {
    const percent = latest.get(code.dbId)?.percent ?? null;
    if (percent === null) unresolved += 1;
    if (code.percent !== percent) {
      updates.push({ updateOne: { filter: { _id: code._id }, update: { $set: { percent } } } });
    }
  }
  await writeLinked(db, tenantId, taxRulesStream.collection, updates);
  return { link: 'taxPercents', updated: updates.length, unresolved };
}

/** The derived fields' updates, each record also taking its number in the change feed. */
async function writeLinked(
  db: Db,
  tenantId: string,
  collectionName: string,
  updates: LinkUpdate[],
): Promise<void> {
  const collection = recordsCollection(db, collectionName);
  const firstSeq = await takeChangeSeqs(collection, tenantId, updates.length);
  const stamped = updates.map(({ updateOne }, i): AnyBulkWriteOperation<StoredRecord> => ({
    updateOne: { ...updateOne, update: { $set: { ...updateOne.update.$set, changeSeq: firstSeq + i } } },
  }));
  await boundedBulkWrite(collection, stamped, { ordered: false });
}
