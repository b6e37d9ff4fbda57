import { isDuplicateKey } from './versioned';

/**
 * An upsert by `_id` that two writers run at once may both try the insert: MongoDB retries the
 * loser itself, FerretDB answers it with a duplicate key. Then the document exists: try again.
 */
export async function upsertRacing<T>(upsert: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await upsert();
    } catch (error) {
      if (!isDuplicateKey(error) || attempt >= 5) throw error;
    }
  }
}
