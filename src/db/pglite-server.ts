import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

/** A PGlite database served on a loopback port. */
export interface PGliteServer {
  /** `127.0.0.1:<port>` */
  address: string;
  /** Stops accepting, ends every client (rolling back what it left open), and resolves when done. */
  close(): Promise<void>;
}

/**
 * Serves one PGlite database to PostgreSQL clients (postgres.js) on a loopback port.
 *
 * PGlite is a single PostgreSQL backend: all clients share one session. A client takes the backend
 * with its first message and gives it back only when the backend reports itself idle
 * (ReadyForQuery `I`), so no client ever sees another's open transaction or half-sent query
 * (Parse/Bind/Execute before their Sync). pglite-socket's multiplexer keeps only explicit
 * transaction blocks together, which lets two clients' extended-protocol messages interleave
 * (electric-sql/pglite#1046); hence this server.
 *
 * A session's role is its client's: the backend assumes the role a client's startup packet names
 * (`role`, as a PostgreSQL server takes it) each time that client takes it, and none otherwise, so
 * the gateway's statements run as the application role while an operator's CLI, joining through
 * this server, migrates as the owner.
 *
 * PGlite checks no password, and any local user can reach a loopback port: clients must present
 * `password` (cleartext: it never leaves the host).
 */
export async function servePGlite(db: PGlite, password: string): Promise<PGliteServer> {
  const backend = turns();
  const clients = new Map<Socket, Promise<void>>();
  const server = createServer((socket) => {
    const served = serveClient(socket, db, backend, password);
    clients.set(socket, served);
    void served.then(() => clients.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of clients.keys()) socket.destroy();
      await Promise.all(clients.values());
      await closed;
    },
  };
}

const PROTOCOL_3 = 196_608;
const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;
const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I'
const PASSWORD = 0x70; // 'p'
const TERMINATE = 0x58; // 'X'
const AUTHENTICATION_CLEARTEXT = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]);
const ROLLBACK = simpleQuery('ROLLBACK');
const SYNC = packet(0x53, Buffer.alloc(0));

/** One client, from its first byte to its last: resolves once it is gone and the backend is free of it. */
function serveClient(socket: Socket, db: PGlite, backend: Turns, password: string): Promise<void> {
  const frame = frontendFramer();
  let startup: Buffer | undefined;
  let authenticated = false;
  let turn: (() => void) | undefined; // set while this client holds the backend
  let work = Promise.resolve();

  let assume: string | undefined; // the statement that gives the shared session this client's role

  const execute = async (message: Uint8Array) => {
    if (!turn) {
      turn = await backend.take();
      await db.exec(assume!);
    }
    const ready = readyForQuery();
    await db.runExclusive(() =>
      db.execProtocolRawStream(message, {
        onRawData: (data) => {
          ready.feed(data);
          if (!socket.destroyed) socket.write(Buffer.from(data)); // data is a view into PGlite's memory
        },
      }),
    );
    if (ready.idle()) {
      turn();
      turn = undefined;
    }
  };

  const step = async (message: Buffer) => {
    if (socket.destroyed) return;
    if (!startup) {
      const code = message.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) socket.write('N');
      else if (code !== PROTOCOL_3) socket.destroy(); // a CancelRequest: PGlite has no backend to signal
      // PGlite is shared: a startup packet it cannot parse would leave it failing every later login
      else if (!wellFormed(message)) socket.end(fatal('08P01'));
      else {
        startup = message;
        const role = startupParameters(message).get('role');
        assume = role ? `SET ROLE "${role.replaceAll('"', '""')}"` : 'RESET ROLE';
        socket.write(AUTHENTICATION_CLEARTEXT);
      }
    } else if (!authenticated) {
      if (message[0] !== PASSWORD || !samePassword(message.subarray(5, -1), password)) {
        socket.end(fatal('28P01'));
        return;
      }
      authenticated = true;
      await execute(startup);
    } else if (message[0] === TERMINATE) {
      socket.end();
    } else {
      await execute(message);
    }
  };

  // a client gone with the backend in hand leaves nothing open: ROLLBACK ends a transaction or an
  // unsynced query; after an error the backend ignores all until Sync, so Sync, then ROLLBACK again
  const leave = async () => {
    if (!turn) return;
    try {
      for (const message of [ROLLBACK, SYNC, ROLLBACK]) await db.runExclusive(() => db.execProtocolRaw(message));
    } catch {
      // PGlite itself failed or closed: nothing left to roll back
    } finally {
      turn();
      turn = undefined;
    }
  };

  // answers go out message by message: Nagle's algorithm would hold each small write for an ACK
  socket.setNoDelay(true);
  socket.on('data', (chunk) => {
    let messages: Buffer[];
    try {
      messages = frame(chunk);
    } catch {
      socket.destroy();
      return;
    }
    for (const message of messages) work = work.then(() => step(message)).catch(() => void socket.destroy());
  });
  socket.on('error', () => {}); // 'close' follows
  return new Promise((resolve) => socket.once('close', () => void work.then(leave).then(resolve)));
}

/** Hands the backend to one client at a time, in the order they asked. */
interface Turns {
  /** Resolves when it is the caller's turn, with the function that ends it. */
  take(): Promise<() => void>;
}

function turns(): Turns {
  let last = Promise.resolve();
  return {
    take() {
      let end!: () => void;
      const previous = last;
      last = new Promise((resolve) => (end = resolve));
      return previous.then(() => end);
    },
  };
}

/**
 * Splits a client's bytes into messages: untyped (length first) until the startup message, typed
 * (a type byte, then the length) after it.
 */
function frontendFramer(): (chunk: Buffer) => Buffer[] {
  let buffer: Buffer = Buffer.alloc(0);
  let typed = false;
  return (chunk) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    const messages: Buffer[] = [];
    for (;;) {
      const header = typed ? 5 : 4;
      if (buffer.length < header) break;
      const length = (typed ? 1 : 0) + buffer.readInt32BE(typed ? 1 : 0);
      // a startup packet is small; PostgreSQL allows no message over 1 GiB
      // Stryker disable next-line StringLiteral: message text, tests assert codes
      if (length < header || length > (typed ? 2 ** 30 : 10_000)) throw new Error('not the PostgreSQL protocol');
      if (buffer.length < length) break;
      const message = buffer.subarray(0, length);
      buffer = buffer.subarray(length);
      typed ||= length >= 8 && message.readInt32BE(4) === PROTOCOL_3;
      messages.push(message);
    }
    return messages;
  };
}

/**
 * Follows the backend's messages across the chunks of one answer: idle when the last one is
 * ReadyForQuery with status `I` (not in a transaction, nothing pending).
 */
function readyForQuery(): { feed(data: Uint8Array): void; idle(): boolean } {
  const header: number[] = []; // the type byte and length, which a chunk may split
  let left = 0; // bytes of the current message's body still to come
  let type = 0;
  let idle = false;
  return {
    feed(data) {
      for (let at = 0; at < data.length; ) {
        if (left === 0) {
          header.push(data[at++]!);
          if (header.length < 5) continue;
          type = header[0]!;
          left = ((header[1]! << 24) | (header[2]! << 16) | (header[3]! << 8) | header[4]!) - 4;
          header.length = 0;
          idle = false;
          continue;
        }
        if (type === READY_FOR_QUERY && left === 1) idle = data[at] === IDLE;
        const take = Math.min(left, data.length - at);
        left -= take;
        at += take;
      }
    },
    idle: () => idle && left === 0 && header.length === 0,
  };
}

function samePassword(given: Buffer, expected: string): boolean {
  const digest = (value: Buffer | string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** What PostgreSQL says with the errors this server answers itself. */
const FATAL_MESSAGES = {
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  '08P01': 'invalid startup packet layout',
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  '28P01': 'password authentication failed',
};

/** An ErrorResponse that ends the connection (FATAL) with `sqlstate`. */
function fatal(sqlstate: keyof typeof FATAL_MESSAGES): Buffer {
  const fields = ['SFATAL', 'VFATAL', `C${sqlstate}`, `M${FATAL_MESSAGES[sqlstate]}`].map((field) => `${field}\0`).join('');
  return packet(0x45, Buffer.from(`${fields}\0`));
}

/** Whether a startup packet is as PostgreSQL requires: name\0value\0 pairs, then \0, a user among them. */
function wellFormed(startup: Buffer): boolean {
  return startup.at(-1) === 0 && startup.at(-2) === 0 && Boolean(startupParameters(startup).get('user'));
}

/** The parameters of a startup packet: after its length and protocol version, name\0value\0 pairs. */
function startupParameters(message: Buffer): Map<string, string> {
  const parts = message.subarray(8).toString('utf8').split('\0');
  const parameters = new Map<string, string>();
  for (let i = 0; i + 1 < parts.length && parts[i]; i += 2) parameters.set(parts[i]!, parts[i + 1]!);
  return parameters;
}

function simpleQuery(text: string): Buffer {
  return packet(0x51, Buffer.from(`${text}\0`));
}

function packet(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header[0] = type;
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}
