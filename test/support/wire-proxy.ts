/**
 * A TCP proxy in front of the run's MongoDB-wire server that cuts a connection when a command
 * of a given name passes, as a server restart or a network fault does:
 * - `before`: the command never reaches the server (nothing of it is written);
 * - `after-reply`: the server runs it, its reply is dropped with the connection (written, answer lost).
 * The driver then sees what it sees in production: a closed connection, in whatever shape the
 * command's helper reports it (e.g. a MongoBulkWriteError without write errors for insertMany).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type Cut = 'before' | 'after-reply';

export interface WireProxy {
  /** mongodb://127.0.0.1:<port>/?directConnection=true */
  uri: string;
  /** Cuts the connection that next sends command `name` on `collection` (the BSON of its first element). */
  cutNext(name: string, collection: string, how: Cut): void;
  /** How many connections were cut so far. */
  cuts(): number;
  close(): Promise<void>;
}

/** The first element of an OP_MSG body: a BSON string named after the command, valued the collection. */
function commandBytes(name: string, collection: string): Buffer {
  const value = Buffer.from(`${collection}\0`, 'utf8');
  const length = Buffer.alloc(4);
  length.writeInt32LE(value.length);
  return Buffer.concat([Buffer.from([0x02]), Buffer.from(`${name}\0`, 'utf8'), length, value]);
}

export async function startWireProxy(targetUri: string): Promise<WireProxy> {
  const target = new URL(targetUri.replace(/^mongodb:/, 'http:'));
  const port = Number(target.port || 27017);
  let armed: { marker: Buffer; how: Cut } | undefined;
  let cutCount = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, target.hostname);
    sockets.add(client).add(upstream);
    let dropReplies = false;
    const cut = () => {
      cutCount += 1;
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (armed && chunk.includes(armed.marker)) {
        const { how } = armed;
        armed = undefined;
        if (how === 'before') return cut();
        dropReplies = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (dropReplies) return cut();
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the wire proxy has no port');
  return {
    uri: `mongodb://127.0.0.1:${address.port}/?directConnection=true`,
    cutNext(name, collection, how) {
      armed = { marker: commandBytes(name, collection), how };
    },
    cuts: () => cutCount,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
