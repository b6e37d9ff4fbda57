/**
 * A GraphQL request that carries a file, as the one public client that attaches files to
 * Xledger sends it (M: Bostads-AB-Mimer/onecore, `xledger-adapter.ts`, round three): a
 * `multipart/form-data` body with
 * - one part named by the file's name (its filename the same), holding the file's bytes, and
 * - a part named `content` holding the usual JSON body, `{"query": …, "variables": …}`;
 * the document names the file by that name (onecore: `attachment: "<file name>"` on
 * `addInvoiceBaseItems`; we: `invoiceFile: "<file name>"` on `addGLImportItems`, see
 * src/invoices/invoice.ts).
 *
 * This is not the GraphQL multipart request spec (jaydenseric: `operations`, `map`, parts
 * `0`, `1`, … and an `Upload` scalar): onecore sends neither `operations` nor `map`, and
 * Xledger's `invoiceFile` is a String, not an Upload. (A) What Xledger does with such a request
 * is inferred from onecore alone; the part order (the file first) is onecore's.
 */

export interface UploadFile {
  fileName: string;
  contentType: string;
  bytes: Uint8Array;
}

/** The part holding the GraphQL request (M: onecore). */
export const OPERATION_PART = 'content';

/**
 * The request's body, encoded once (so its size is known and counted before it leaves), and its
 * content type with the boundary. Node's own FormData encoder (undici).
 */
export async function multipartBody(
  query: string,
  variables: Record<string, unknown>,
  file: UploadFile,
): Promise<{ body: Uint8Array; contentType: string }> {
  const form = new FormData();
  form.append(file.fileName, new Blob([file.bytes], { type: file.contentType }), file.fileName);
  form.append(OPERATION_PART, JSON.stringify({ query, variables }));
  const encoded = new Response(form);
  const contentType = encoded.headers.get('content-type');
  if (!contentType) throw new Error('FormData gave no content type');
  return { body: new Uint8Array(await encoded.arrayBuffer()), contentType };
}

/** The bytes a request body sends: a JSON string, or an encoded multipart body . */
export function bodyBytes(body: RequestInit['body'] | undefined): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) return body.byteLength;
  return 0;
}
