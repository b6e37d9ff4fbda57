/** `uri` with its database path replaced by `/<db>`, query options kept. */
export function withDatabase(uri: string, db: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]*)(\/[^?]*)?(\?.*)?$/.exec(uri);
  if (!match) throw new Error('MONGODB_URI is not a mongodb:// or mongodb+srv:// URI');
  return `${match[1]}/${db}${match[3] ?? ''}`;
}
