/**
 * A request's GraphQL payload: a JSON body, or a multipart body carrying files as the one public
 * client that attaches files sends it (M: onecore; src/xledger/file-upload.ts): the JSON body in
 * a part named `content`, each file in a part named by its file name, which the document names
 * (`invoiceFile` on addGLImportItems; gl-import.ts attaches it to the line). (A) Xledger's own
 * handling — which parts it needs, what it refuses — is not published.
 */
import { createHash } from 'node:crypto';

export interface UploadedFile {
  /** The part's name: what the document refers to. */
  name: string;
  fileName: string;
  contentType: string;
  bytes: Buffer;
  sha256: string;
}

export interface RequestPayload {
  payload: { query?: unknown; variables?: unknown; operationName?: unknown };
  payloadError: string | null;
  /** The request's file parts by part name; undefined for a JSON request. */
  uploads?: ReadonlyMap<string, UploadedFile>;
}

const OPERATION_PART = 'content';

export async function readPayload(body: Buffer, contentType: string | undefined): Promise<RequestPayload> {
  if (!/^multipart\/form-data\b/i.test(contentType ?? '')) return parseJson(body.toString('utf8'));
  let form: FormData;
  try {
    form = await new Request('http://simulator/graphql', {
      method: 'POST',
      headers: { 'content-type': contentType! },
      body,
    }).formData();
  } catch {
    return { payload: {}, payloadError: 'The multipart body could not be read', uploads: new Map() };
  }
  const uploads = new Map<string, UploadedFile>();
  let operation: string | null = null;
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') {
      if (name === OPERATION_PART) operation = value;
      continue;
    }
    const bytes = Buffer.from(await value.arrayBuffer());
    uploads.set(name, {
      name,
      fileName: value.name,
      contentType: value.type,
      bytes,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  }
  if (operation === null) {
    return {
      payload: {},
      payloadError: `A multipart request needs a "${OPERATION_PART}" part with the JSON body`,
      uploads,
    };
  }
  return { ...parseJson(operation), uploads };
}

function parseJson(text: string): RequestPayload {
  try {
    const payload = JSON.parse(text) as RequestPayload['payload'];
    if (typeof payload !== 'object' || payload === null || typeof payload.query !== 'string') {
      return { payload: {}, payloadError: 'The body must be JSON with a "query" string' };
    }
    return { payload, payloadError: null };
  } catch {
    return { payload: {}, payloadError: 'The body is not valid JSON' };
  }
}
