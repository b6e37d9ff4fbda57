import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES, SEED_TOKENS, startSimulator, type RunningSimulator } from '../../src/simulator/index';
import { STRICT_XLEDGER_POLICY } from '../../src/security/endpoint-policy';
import { XledgerClient } from '../../src/xledger/client';
import type { XledgerRequestObserver } from '../../src/xledger/usage';
import { XledgerError } from '../../src/xledger/errors';
import { multipartBody } from '../../src/xledger/file-upload';
import { addImportLines, type GLImportLine } from '../../src/xledger/gl-import';
import { RequestGate } from '../../src/xledger/request-gate';

/**
 * A create that carries a file (src/xledger/file-upload.ts: multipart, a `content` part with the
 * JSON body and a part named by the file's name, as onecore sends it) through the one client,
 * against the simulator: the file is attached to the line whose `invoiceFile` names it, its bytes
 * count as sent, a reference to a missing part is refused whole, and a JSON request's
 * `invoiceFile` string attaches nothing.
 */
let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ seed: 5, suppliers: 5, importProcessingDelayMs: 60_000 });
});
afterAll(() => sim?.close());

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(200_000, 7), Buffer.from('\n%%EOF\n')]);
const file = { fileName: 'INV-7.pdf', contentType: 'application/pdf', bytes: PDF };
/** A create's departure deadline (src/xledger/departure.ts), well ahead. */
const soon = () => new Date(Date.now() + 30_000);

function client(observer?: XledgerRequestObserver) {
  return new XledgerClient({
    endpoint: sim.graphqlUrl,
    token: SEED_TOKENS.root,
    endpointPolicy: { ...STRICT_XLEDGER_POLICY, allowInsecureLoopback: true },
    requestTimeoutMs: 10_000,
    gate: new RequestGate({ maxRequestsPer5s: 20, maxConcurrentRequests: 2 }),
    ...(observer ? { observer } : {}),
  });
}

const line = (key: string, extra: Record<string, unknown> = {}): GLImportLine => ({
  clientId: key,
  node: {
    postedDate: '2026-11-02',
    transactionSource: { code: 'AP' },
    jobLevel: { dbSubId: 1 },
    account: { code: '2400' },
    amount: '0.00',
    invoiceAmount: '0.00',
    extIdentifier: key,
    owner: { dbId: SEED_ENTITIES.owner1 },
    ...extra,
  },
});

interface Truth {
  lines: Array<{
    dbId: number;
    extIdentifier: string;
    invoiceFile: string | null;
    document: { fileName: string; size: number; sha256: string } | null;
  }>;
}
async function truth(prefix: string) {
  const response = await fetch(`${sim.adminUrl}/admin/gl-import/${SEED_ENTITIES.owner1}`);
  const all = (await response.json()) as Truth;
  return all.lines.filter((l) => l.extIdentifier?.startsWith(prefix));
}

describe('a create carrying a file', () => {
  it('attaches the file to the line that names it; its bytes count as sent', async () => {
    const sent: number[] = [];
    const observer: XledgerRequestObserver = {
      request: () => {},
      bytes: (s) => sent.push(s),
      rateLimitWait: () => {},
    };
    const xledger = client(observer);
    const dbIds = await addImportLines(
      xledger,
      [line('up:1:0', { invoiceFile: file.fileName }), line('up:1:1')],
      file,
      soon(),
    );
    expect(dbIds.every((id) => id > 0)).toBe(true);
    const lines = await truth('up:1:');
    expect(lines).toHaveLength(2);
    const withFile = lines.find((l) => l.extIdentifier === 'up:1:0')!;
    expect(withFile.document).toMatchObject({ fileName: 'INV-7.pdf', size: PDF.length });
    expect(lines.find((l) => l.extIdentifier === 'up:1:1')!.document).toBeNull();
    const stored = (await (
      await fetch(`${sim.adminUrl}/admin/gl-import/document/${withFile.dbId}`)
    ).json()) as {
      contentBase64: string;
    };
    expect(Buffer.from(stored.contentBase64, 'base64').equals(PDF)).toBe(true);
    // Metrics and usage count the whole multipart body, the file included.
    expect(xledger.usage.requests).toBe(1);
    expect(xledger.usage.bytesSent).toBeGreaterThan(PDF.length);
    expect(sent).toEqual([xledger.usage.bytesSent]);
  });

  it('is refused whole when invoiceFile names a part the request does not have', async () => {
    const error = await addImportLines(
      client(),
      [line('up:2:0', { invoiceFile: 'other.pdf' })],
      file,
      soon(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XledgerError);
    expect((error as XledgerError).message).toMatch(
      /invoiceFile names "other\.pdf", but the request has no file part/,
    );
    expect((error as XledgerError).message).not.toContain(SEED_TOKENS.root);
    expect(await truth('up:2:')).toHaveLength(0);
  });

  it('a JSON request’s invoiceFile string (a URL) attaches nothing', async () => {
    await addImportLines(
      client(),
      [line('up:3:0', { invoiceFile: 'https://semine.example/INV-7.pdf' })],
      undefined,
      soon(),
    );
    const [staged] = await truth('up:3:');
    expect(staged?.document).toBeNull();
  });

  it('a multipart request without its `content` part is a bad request', async () => {
    const { body, contentType } = await multipartBody('{ x }', {}, file);
    const text = Buffer.from(body).toString('latin1').replace('name="content"', 'name="other"');
    const response = await fetch(sim.graphqlUrl, {
      method: 'POST',
      headers: { authorization: `token ${SEED_TOKENS.root}`, 'content-type': contentType },
      body: Buffer.from(text, 'latin1'),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: Array<{ message: string }> }).errors[0]?.message).toMatch(
      /"content" part/,
    );
  });
});
