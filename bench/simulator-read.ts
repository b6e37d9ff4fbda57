/**
 * Benchmark: start the simulator with 100,000 suppliers, then read all of them with
 * first: 10000 and every field. Prints start-up time, read time, pages, records and bytes.
 *   npx tsx bench/simulator-read.ts [suppliers]
 */
import { SEED_TOKENS, startSimulator } from '../src/simulator/index';

const SUPPLIER_FIELDS = `dbId code description email fromDate toDate createdAt modifiedAt ownerDbId
  owner { dbId code description } company { dbId companyNumber }
  glObject1 { dbId code description } glObject2 { dbId code description } glObject3 { dbId code description }
  glObject4 { dbId code description } glObject5 { dbId code description }`;

async function main(): Promise<void> {
  const suppliers = Number(process.argv[2] ?? 100_000);
  const startedAt = performance.now();
  const sim = await startSimulator({ seed: 1, suppliers });
  const startupMs = performance.now() - startedAt;

  const query = `query($after: String) { suppliers(first: 10000, after: $after, objectStatus: ALL) {
    edges { cursor node { ${SUPPLIER_FIELDS} } } pageInfo { hasNextPage } } }`;
  const readStarted = performance.now();
  let after: string | null = null;
  let pages = 0;
  let records = 0;
  let bytes = 0;
  const pageMs: number[] = [];
  try {
    for (;;) {
      const pageStarted = performance.now();
      const response = await fetch(sim.graphqlUrl, {
        method: 'POST',
        headers: { authorization: `token ${SEED_TOKENS.root}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables: { after } }),
      });
      const text = await response.text();
      bytes += Buffer.byteLength(text);
      const body = JSON.parse(text) as {
        data?: { suppliers: { edges: Array<{ cursor: string }>; pageInfo: { hasNextPage: boolean } } };
        errors?: unknown;
      };
      if (!body.data || body.errors)
        throw new Error(`page ${pages + 1} failed: ${JSON.stringify(body.errors)}`);
      pages += 1;
      records += body.data.suppliers.edges.length;
      pageMs.push(performance.now() - pageStarted);
      const last = body.data.suppliers.edges[body.data.suppliers.edges.length - 1];
      if (!body.data.suppliers.pageInfo.hasNextPage || !last) break;
      after = last.cursor;
    }
  } finally {
    await sim.close();
  }
  const readMs = performance.now() - readStarted;
  const figures = {
    suppliers,
    startupMs: Math.round(startupMs),
    readMs: Math.round(readMs),
    pages,
    records,
    bytes,
    megabytes: Number((bytes / 1_048_576).toFixed(1)),
    msPerPage: Math.round(readMs / pages),
    slowestPageMs: Math.round(Math.max(...pageMs)),
    recordsPerSecond: Math.round(records / (readMs / 1000)),
  };
  console.log(JSON.stringify(figures, null, 2));
  if (records !== suppliers) {
    console.error(`expected ${suppliers} records, read ${records}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
