import { createHash } from 'node:crypto';
import { Binary, type Db } from 'mongodb';
import { z } from 'zod';
import { collections } from '../store/collections';

/**
 * The invoice's PDF as SEMINE hands it over (`document` in invoiceSchema), and where its bytes
 * are kept: apart from the outbox document, in `invoice_documents` under
 * `<tenant>:<invoice>:document:<sha256>`, so that the outbox (read by every status call, the
 * sweep and each activity) never carries megabytes, and the bytes never enter workflow history
 * (activities read them by `_id`), logs or error messages. The outbox invoice keeps only the
 * file's name, type, size and digest.
 *
 * Xledger attaches a file sent as a part of a multipart request and named by its file name in
 * the posting (M: onecore, round three); see src/xledger/file-upload.ts.
 */

/** Decoded size limit (A: Xledger's own limit is not published). */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
const MAX_BASE64_CHARS = Math.ceil(MAX_DOCUMENT_BYTES / 3) * 4;
/** Standard base64, padded; checked without a grouped regex (that would overflow the stack on 14 MB). */
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;
const isBase64 = (value: string) => value.length % 4 === 0 && BASE64_CHARS.test(value);
/**
 * The file name is the part's name and the reference in `invoiceFile`: kept to characters that
 * need no quoting in a multipart header (A: what Xledger accepts in a name is not published).
 */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,150}\.pdf$/i;
const PDF_MAGIC = Buffer.from('%PDF-');

export const invoiceDocumentSchema = z
  .object({
    fileName: z
      .string()
      .regex(
        FILE_NAME,
        'must be a file name ending in .pdf, of letters, digits, spaces, ".", "_", "(", ")" and "-" (at most 155 characters)',
      ),
    contentType: z.literal('application/pdf', { error: 'must be "application/pdf"' }),
    /** The file's bytes, base64 (standard alphabet, padded). */
    contentBase64: z
      .string()
      .min(1, 'must not be empty')
      .max(MAX_BASE64_CHARS, `must be at most ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB once decoded`)
      .refine(isBase64, 'must be the file in base64 (standard alphabet, padded)'),
  })
  .strict()
  .superRefine((document, ctx) => {
    // zod runs this even when a field failed: only a well-formed content is decoded.
    if (typeof document.contentBase64 !== 'string' || !isBase64(document.contentBase64)) return;
    if (document.contentBase64.length > MAX_BASE64_CHARS) return;
    const bytes = Buffer.from(document.contentBase64.slice(0, 8), 'base64');
    if (!bytes.subarray(0, PDF_MAGIC.length).equals(PDF_MAGIC)) {
      ctx.addIssue({
        code: 'custom',
        path: ['contentBase64'],
        message: 'must be a PDF (it does not start with %PDF-)',
      });
    } else if (decodedSize(document.contentBase64) > MAX_DOCUMENT_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['contentBase64'],
        message: `must be at most ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB once decoded`,
      });
    }
  })
  .transform((document): InvoiceDocument => {
    const bytes = Buffer.from(document.contentBase64, 'base64');
    return {
      fileName: document.fileName,
      contentType: document.contentType,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      contentBase64: document.contentBase64,
    };
  });

/** The document as the outbox keeps it: its name, type, size and digest, without its bytes. */
export interface InvoiceDocumentRef {
  fileName: string;
  contentType: 'application/pdf';
  /** Decoded size in bytes. */
  size: number;
  /** Hex SHA-256 of the bytes: part of the stored document's `_id`. */
  sha256: string;
}

/** A validated document: its bytes present only between validation and storeDocument. */
export interface InvoiceDocument extends InvoiceDocumentRef {
  contentBase64?: string;
}

function decodedSize(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

/** A document's bytes as stored; `_id` is documentId(). */
interface StoredDocument {
  _id: string;
  tenantId: string;
  invoiceId: string;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
  content: Binary;
  storedAt: Date;
}

export const documentId = (tenantId: string, invoiceId: string, sha256: string) =>
  `${tenantId}:${invoiceId}:document:${sha256}`;

const documents = (db: Db) => db.collection<StoredDocument>(collections.invoiceDocuments);

/**
 * Stores the document's bytes (idempotent: its `_id` names its digest) and returns the reference
 * the outbox keeps. Called before the outbox write: an outbox invoice naming a document always
 * finds its bytes until it is settled (forgetDocument). A refused submission (a conflict) may
 * leave bytes no invoice names; a tenant's purge removes them.
 */
export async function storeDocument(
  db: Db,
  tenantId: string,
  invoiceId: string,
  document: InvoiceDocument,
): Promise<InvoiceDocumentRef> {
  const { contentBase64, ...ref } = document;
  if (contentBase64 === undefined) return ref;
  const content = Buffer.from(contentBase64, 'base64');
  try {
    await documents(db).insertOne({
      _id: documentId(tenantId, invoiceId, ref.sha256),
      tenantId,
      invoiceId,
      ...ref,
      content: new Binary(content),
      storedAt: new Date(),
    });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 11000) throw error;
  }
  return ref;
}

/** The document's bytes, read by `_id` (in the posting activity); an error names the file, never its bytes. */
export async function readDocument(
  db: Db,
  tenantId: string,
  invoiceId: string,
  ref: InvoiceDocumentRef,
): Promise<{ fileName: string; contentType: string; bytes: Buffer }> {
  const stored = await documents(db).findOne({ _id: documentId(tenantId, invoiceId, ref.sha256) });
  if (!stored) {
    throw new Error(
      `The document ${ref.fileName} of invoice ${invoiceId} (tenant ${tenantId}) is not stored`,
    );
  }
  const bytes = Buffer.from(stored.content.buffer);
  if (createHash('sha256').update(bytes).digest('hex') !== ref.sha256) {
    throw new Error(`The stored document ${ref.fileName} of invoice ${invoiceId} does not match its digest`);
  }
  return { fileName: ref.fileName, contentType: ref.contentType, bytes };
}

/**
 * Drops the document's bytes once the invoice is settled: Xledger holds the file (posted), or it
 * never will (rejected). The outbox keeps the reference (name, size, digest). Idempotent.
 */
export async function forgetDocument(
  db: Db,
  tenantId: string,
  invoiceId: string,
  ref: InvoiceDocumentRef,
): Promise<void> {
  await documents(db).deleteOne({ _id: documentId(tenantId, invoiceId, ref.sha256) });
}
