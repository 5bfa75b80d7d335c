import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Sql } from '../../src/db/database.ts';
import { servePGlite, type PGliteServer } from '../../src/db/pglite-server.ts';

/*
 * One PGlite backend, several postgres.js clients through its loopback server (the embedded
 * gateway and a CLI command): each client's transactions and queries run whole, never interleaved.
 */
describe('the embedded database served to several clients', () => {
  const password = 'test-password';
  let pglite: PGlite;
  let server: PGliteServer;
  const clients: Sql[] = [];
  const client = (secret = password) => {
    const sql = createClient(`postgres://postgres:${secret}@${server.address}/postgres`, { max: 1 });
    clients.push(sql);
    return sql;
  };

  beforeAll(async () => {
    pglite = await PGlite.create();
    server = await servePGlite(pglite, password);
    await client()`create table marks (n int)`;
  });

  afterAll(async () => {
    await Promise.all(clients.map((sql) => sql.end({ timeout: 1 })));
    await server.close();
    await pglite.close();
  });

  it('gives each client the role its login names, in every turn, and the others none', async () => {
    const reader = createClient(`postgres://postgres:${password}@${server.address}/postgres?role=pg_read_all_data`, { max: 1 });
    clients.push(reader);
    const owner = client();
    for (let i = 0; i < 3; i++) {
      expect(await reader`select current_user as who`).toEqual([{ who: 'pg_read_all_data' }]);
      expect(await owner`select current_user as who`).toEqual([{ who: 'postgres' }]);
    }
    await expect(reader`insert into marks values (0)`).rejects.toMatchObject({ code: '42501' });
  });

  it("keeps one client's open transaction from another, which waits for it to end", async () => {
    const [a, b] = [client(), client()];
    let counted: Promise<number> | undefined;
    await a
      .begin(async (tx) => {
        await tx`insert into marks values (1)`;
        counted = b<{ n: number }[]>`select count(*)::int as n from marks`.then(([row]) => row!.n);
        await new Promise((resolve) => setTimeout(resolve, 100));
        throw new Error('roll back');
      })
      .catch(() => {});
    expect(await counted).toBe(0);
  });

  it("runs two clients' queued queries each from Bind to Sync, never one's Bind before the other's Execute", async () => {
    const [a, b, holder] = [client(), client(), client()];
    const select = (sql: Sql, n: number, who: string) => sql<{ n: number; who: string }[]>`select ${n}::int as n, ${who}::text as who`.then(([row]) => row);
    // prepared once, so later queries leave each client as Bind/Execute/Sync in one write
    await Promise.all([select(a, 0, 'a'), select(b, 0, 'b')]);
    let queries: Promise<unknown>[] = [];
    // both clients' queries pile up while a third holds the backend, then compete for it
    await holder.begin(async (tx) => {
      await tx`select 1`;
      queries = Array.from({ length: 50 }, (_, n) => [select(a, n, 'a'), select(b, n, 'b')]).flat();
      await new Promise((resolve) => setTimeout(resolve, 100));
    });
    const expected = Array.from({ length: 50 }, (_, n) => [{ n, who: 'a' }, { n, who: 'b' }]).flat();
    expect(await Promise.all(queries)).toEqual(expected);
  });

  it('rolls back what a client left open when it disconnected, and serves the next', async () => {
    const [a, b] = [client(), client()];
    await a
      .begin(async (tx) => {
        await tx`insert into marks values (2)`;
        await a.end({ timeout: 0 }); // the connection is cut mid-transaction
      })
      .catch(() => {});
    const [row] = await b<{ n: number }[]>`select count(*)::int as n from marks where n = 2`;
    expect(row!.n).toBe(0);
  });

  it('answers each query at once, not after TCP acknowledgement delays (about 40 ms a query otherwise)', async () => {
    const sql = client();
    await sql`select 1`;
    const started = performance.now();
    for (let n = 0; n < 50; n++) await sql`select ${n}::int as n`;
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses a client without the password (28P01)', async () => {
    await expect(client('wrong')`select 1`).rejects.toMatchObject({ code: '28P01' });
  });

  it('assumes a role whose name holds a double quote as that role, quoted, not as another', async () => {
    await client()`create role "fin""gate"`;
    const odd = createClient(`postgres://postgres:${password}@${server.address}/postgres?role=${encodeURIComponent('fin"gate')}`, { max: 1 });
    clients.push(odd);
    expect(await odd`select current_user as who`).toEqual([{ who: 'fin"gate' }]);
  });

  it('serves a client that asks for TLS first (sslmode=prefer): it is told no and goes on in the clear', async () => {
    const prefer = createClient(`postgres://postgres:${password}@${server.address}/postgres?sslmode=prefer`, { max: 1 });
    clients.push(prefer);
    expect(await prefer`select 1 as n`).toEqual([{ n: 1 }]);
  });

  const outward = Object.values(networkInterfaces())
    .flat()
    .filter((i) => i && !i.internal && !i.address.startsWith('fe80:'))
    .map((i) => i!.address);

  it.skipIf(outward.length === 0)('listens on loopback only: no other address of this host reaches it', async () => {
    const port = Number(server.address.split(':')[1]);
    for (const host of outward) {
      const socket = connect(port, host);
      const outcome = await once(socket, 'connect').then(
        () => 'connected',
        (error: NodeJS.ErrnoException) => error.code,
      );
      socket.destroy();
      expect(outcome).toBe('ECONNREFUSED');
    }
  });

  /*
   * What a client other than postgres.js may send, byte by byte: the server must answer as
   * PostgreSQL does or hang up, never misread one message as another.
   */
  describe('to a client speaking the protocol by hand', () => {
    // a client left connected may hold the backend: each test's go when it ends, passed or failed
    afterEach(() => {
      for (const raw of rawClients.splice(0)) raw.destroy();
    });

    it('answers SSL and GSS encryption requests with N, then authenticates the startup that follows', async () => {
      const raw = await rawClient(server.address);
      raw.send(untyped(SSL_REQUEST));
      expect(await raw.next()).toEqual({ type: 'N' });
      raw.send(untyped(GSSENC_REQUEST));
      expect(await raw.next()).toEqual({ type: 'N' });
      raw.send(startupPacket({ user: 'postgres' }));
      expect(await raw.next()).toMatchObject({ type: 'R', code: 3 }); // cleartext password, please
      raw.send(typed('p', `${password}\0`));
      expect(await raw.next()).toMatchObject({ type: 'R', code: 0 }); // authenticated
      raw.end();
    });

    it('hangs up on a CancelRequest without an answer (one backend, nothing to cancel)', async () => {
      const raw = await rawClient(server.address);
      raw.send(untyped(CANCEL_REQUEST, Buffer.alloc(8)));
      await raw.closed;
      expect(raw.received()).toHaveLength(0);
    });

    it('refuses (28P01) a client that answers the password request with another message holding the password', async () => {
      const raw = await rawClient(server.address);
      raw.send(startupPacket({ user: 'postgres' }));
      expect(await raw.next()).toMatchObject({ type: 'R', code: 3 });
      raw.send(typed('Q', `${password}\0`));
      expect(await raw.next()).toMatchObject({ type: 'E', sqlstate: '28P01' });
      await raw.closed;
    });

    it.each([
      ['no parameters (8 bytes, no terminator)', untyped(PROTOCOL_3)],
      ['parameters without their terminator', untyped(PROTOCOL_3, Buffer.from('user\0postgres\0'))],
      ['no user', untyped(PROTOCOL_3, Buffer.from('database\0postgres\0\0'))],
    ])('refuses (08P01) a startup packet with %s, and serves the next client as ever', async (_name, bytes) => {
      const raw = await rawClient(server.address);
      raw.send(bytes);
      expect(await raw.next()).toMatchObject({ type: 'E', sqlstate: '08P01' });
      await raw.closed;
      expect(await client()`select 1 as one`).toEqual([{ one: 1 }]);
    });

    it('hangs up on Terminate', async () => {
      const raw = await rawClient(server.address);
      await raw.login(password);
      raw.send(typed('X', ''));
      await raw.closed;
    });

    it.each([
      ['a length shorter than its own header (zero)', Buffer.alloc(4)],
      ['a startup packet longer than 10,000 bytes', Buffer.from([0, 0, 0x27, 0x11])],
    ])('hangs up on bytes that are not the PostgreSQL protocol: %s', async (_name, bytes) => {
      const raw = await rawClient(server.address);
      raw.send(bytes);
      await raw.closed;
      expect(raw.received()).toHaveLength(0);
    });

    it('reads a startup packet of exactly 10,000 bytes', async () => {
      const raw = await rawClient(server.address);
      const packet = startupPacket({ user: 'postgres', application_name: 'x' });
      raw.send(startupPacket({ user: 'postgres', application_name: 'x'.repeat(1 + 10_000 - packet.length) }));
      expect(await raw.next()).toMatchObject({ type: 'R', code: 3 });
      raw.end();
    });

    it('hangs up on a client whose role cannot be assumed, running none of what it sent after logging in', async () => {
      const raw = await rawClient(server.address);
      raw.send(startupPacket({ user: 'postgres', role: 'no_such_role' }));
      expect(await raw.next()).toMatchObject({ type: 'R', code: 3 });
      raw.send(Buffer.concat([typed('p', `${password}\0`), typed('Q', 'create table never_made (n int)\0')]));
      await raw.closed;
      expect(await client()`select to_regclass('never_made') as t`).toEqual([{ t: null }]);
    });
  });
});

describe('the embedded database server, closed', () => {
  it('ends its connected clients, stops listening, and resolves', async () => {
    const pglite = await PGlite.create();
    try {
      const server = await servePGlite(pglite, 'secret');
      const idle = await rawClient(server.address);
      await idle.login('secret');
      const sql = createClient(`postgres://postgres:secret@${server.address}/postgres`, { max: 1 });
      await sql`select 1`;
      await server.close();
      await idle.closed;
      await expect(sql`select 1`).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
      await sql.end({ timeout: 0 });
      const [host, port] = server.address.split(':');
      const [error] = (await once(connect(Number(port), host), 'error')) as [NodeJS.ErrnoException];
      expect(error.code).toBe('ECONNREFUSED');
    } finally {
      await pglite.close();
    }
  });
});

const PROTOCOL_3 = 196_608;
const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;
const CANCEL_REQUEST = 80_877_102;

/** A message before startup: its length, a code, a body. */
function untyped(code: number, body = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(code, 4);
  return Buffer.concat([head, body]);
}

function startupPacket(parameters: Record<string, string>): Buffer {
  const pairs = Object.entries(parameters).map(([name, value]) => `${name}\0${value}\0`).join('');
  return untyped(PROTOCOL_3, Buffer.from(`${pairs}\0`));
}

/** A message after startup: a type byte, its length, a body. */
function typed(type: string, body: string): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0);
  head.writeInt32BE(4 + Buffer.byteLength(body), 1);
  return Buffer.concat([head, Buffer.from(body)]);
}

/** What the server answered: `N` (no encryption, a single byte), `R` with its code, `E` with its SQLSTATE, or another type. */
type Answer = { type: string; code?: number; sqlstate?: string };

const rawClients: Socket[] = [];

/** A TCP connection to the server that reads its answers one message at a time. */
async function rawClient(address: string) {
  const [host, port] = address.split(':');
  const socket: Socket = connect(Number(port), host);
  rawClients.push(socket);
  await once(socket, 'connect');
  let buffer = Buffer.alloc(0);
  let all = Buffer.alloc(0);
  let expectSingleByte = true; // the answer to an encryption request is one byte, not a message
  let wake = () => {};
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    all = Buffer.concat([all, chunk]);
    wake();
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => (wake(), resolve())));
  const take = (): Answer | undefined => {
    if (expectSingleByte && buffer.length >= 1 && buffer[0] === 0x4e) {
      buffer = buffer.subarray(1);
      return { type: 'N' };
    }
    if (buffer.length < 5 || buffer.length < 1 + buffer.readInt32BE(1)) return undefined;
    const length = 1 + buffer.readInt32BE(1);
    const [type, body] = [String.fromCharCode(buffer[0]!), buffer.subarray(5, length)];
    buffer = buffer.subarray(length);
    if (type === 'R') return { type, code: body.readInt32BE(0) };
    if (type === 'E') return { type, sqlstate: /(?:^|\0)C([0-9A-Z]{5})\0/.exec(body.toString())?.[1] };
    return { type };
  };
  const next = async (): Promise<Answer> => {
    for (;;) {
      const answer = take();
      if (answer) return answer;
      if (socket.destroyed) throw new Error('the server hung up');
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  return {
    send(bytes: Buffer) {
      if (bytes.readInt32BE(0) !== 8 || ![SSL_REQUEST, GSSENC_REQUEST].includes(bytes.readInt32BE(4))) expectSingleByte = false;
      socket.write(bytes);
    },
    next,
    /** Logs in as postgres and waits until the backend is ready for a query. */
    async login(secret: string) {
      this.send(startupPacket({ user: 'postgres' }));
      await next();
      this.send(typed('p', `${secret}\0`));
      while ((await next()).type !== 'Z');
    },
    received: () => all,
    closed,
    end: () => socket.end(),
  };
}
