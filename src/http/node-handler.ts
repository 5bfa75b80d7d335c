import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Gateway } from '../gateway.ts';

/** The largest request body the gateway reads (yoga's `maxRequestBodySize`; larger is 413). */
export const MAX_REQUEST_BODY = 100_000;

/**
 * The gateway as a node:http request listener. A GraphQL request POSTed as JSON with its length
 * declared (what every client sends) takes a lean path into the same Yoga server: its body is read
 * into one buffer, Yoga sees it through a small Request over the node request (no URL, headers or
 * abort signal built up front, no body stream), and the answer leaves with one `end` (status,
 * headers and body in one write). Every Yoga and envelop plugin runs exactly as on Yoga's own
 * node adapter — request and response hooks, parsing, validation, masking, the decision stream —
 * because it is Yoga's own handler that answers. Everything else (GET, OPTIONS, other bodies, a
 * body without a valid length or over the limit) goes to Yoga's adapter untouched, whose rules
 * (415, 413, 400…) apply as ever.
 */
export function nodeHandler(gateway: Gateway): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const length = request.method === 'POST' ? declaredLength(request.headers) : undefined;
    if (length === undefined) {
      void gateway(request, response);
      return;
    }
    readBody(request, length)
      .then((body) => answer(gateway, new BufferedRequest(request, body), request, response))
      .catch(() => response.destroy());
  };
}

/** The body's length when it is JSON with a sane `content-length` within the limit, else undefined. */
function declaredLength(headers: IncomingHttpHeaders): number | undefined {
  const type = headers['content-type'];
  if (type === undefined || !/^application\/json\s*(;|$)/i.test(type) || headers['transfer-encoding'] !== undefined) return undefined;
  const declared = headers['content-length'];
  if (declared === undefined || !/^\d{1,9}$/.test(declared)) return undefined;
  const length = Number(declared);
  return length <= MAX_REQUEST_BODY ? length : undefined;
}

/** The whole body, as one buffer of the declared length. */
function readBody(request: IncomingMessage, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    // a client that goes away mid-body: nothing to answer
    const closed = () => reject(new Error('connection closed before the body ended'));
    request.on('data', (chunk: Buffer) => {
      // node:http never delivers more than the declared length
      received += chunk.length;
      chunks.push(chunk);
    });
    request.once('end', () => {
      request.off('close', closed);
      if (received === length) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
      else reject(new Error('short body'));
    });
    request.once('close', closed);
    request.once('error', reject);
  });
}

async function answer(gateway: Gateway, fetchRequest: BufferedRequest, request: IncomingMessage, response: ServerResponse): Promise<void> {
  let answered: Response;
  try {
    // the server context Yoga's node adapter passes (the gateway's own context ignores it)
    answered = await gateway.handleRequest(fetchRequest as unknown as Request, { req: request, res: response } as never);
  } catch (error) {
    // Yoga answers every error itself; this is what its adapter does with anything that escapes
    console.error(`Unexpected error while handling request: ${(error as Error)?.message ?? error}`);
    answered = new Response(null, { status: 500 });
  }
  if (response.destroyed) return;
  const headers: Record<string, string | string[]> = {};
  answered.headers.forEach((value, name) => {
    headers[name] = name === 'set-cookie' ? answered.headers.getSetCookie() : value;
  });
  const body = bodyOf(answered);
  if (body !== undefined) {
    response.writeHead(answered.status, headers).end(body);
    return;
  }
  // streamed answers (server-sent events): written as they come
  response.writeHead(answered.status, headers);
  if (answered.body) for await (const chunk of answered.body as unknown as AsyncIterable<Uint8Array>) response.write(chunk);
  response.end();
}

/**
 * A complete body of a whatwg-node Response without copying it: the string or buffer it was made
 * from (what Yoga's result processor and every error response use). Undefined for a stream.
 */
function bodyOf(response: Response): string | Uint8Array | undefined {
  const made = response as Response & { bodyType?: string; bodyInit?: unknown; _buffer?: Uint8Array };
  if (made.bodyInit === null || made.bodyInit === undefined) return made.body === null ? '' : undefined;
  if (made.bodyType === 'String' && typeof made.bodyInit === 'string') return made.bodyInit;
  if (made._buffer instanceof Uint8Array) return made._buffer;
  return undefined;
}

/**
 * The part of the Fetch API's Request that Yoga and the gateway's plugins use, over a node request
 * whose body is already read: method, url, headers, `json()`/`text()`, and an abort signal made
 * only if something asks for one (aborted when the connection closes before the answer).
 */
class BufferedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: NodeHeaders;
  /** Read already: Yoga's body-size limit has nothing left to wrap. */
  readonly body = null;
  bodyUsed = false;
  #signal: AbortSignal | undefined;

  constructor(
    private readonly incoming: IncomingMessage,
    private readonly buffer: Buffer,
  ) {
    this.method = incoming.method!;
    this.url = `http://${incoming.headers.host ?? 'localhost'}${incoming.url}`;
    this.headers = new NodeHeaders(incoming.headers);
  }

  get signal(): AbortSignal {
    if (!this.#signal) {
      const controller = new AbortController();
      const socket = this.incoming.socket;
      const abort = () => controller.abort();
      if (socket.destroyed) abort();
      else socket.once('close', abort);
      this.#signal = controller.signal;
    }
    return this.#signal;
  }

  text(): Promise<string> {
    this.bodyUsed = true;
    return Promise.resolve(this.buffer.toString('utf8'));
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    this.bodyUsed = true;
    return Promise.resolve(this.buffer.buffer.slice(this.buffer.byteOffset, this.buffer.byteOffset + this.buffer.byteLength) as ArrayBuffer);
  }
}

/** Fetch API Headers over node's parsed headers (names in lower case, repeated ones joined). */
class NodeHeaders {
  constructor(private readonly raw: IncomingHttpHeaders) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }

  set(name: string, value: string): void {
    this.raw[name.toLowerCase()] = value;
  }

  append(name: string, value: string): void {
    const current = this.get(name);
    this.set(name, current === null ? value : `${current}, ${value}`);
  }

  delete(name: string): void {
    delete this.raw[name.toLowerCase()];
  }

  getSetCookie(): string[] {
    return [];
  }

  forEach(callback: (value: string, name: string, headers: NodeHeaders) => void): void {
    for (const name of Object.keys(this.raw)) callback(this.get(name)!, name, this);
  }

  *keys(): IterableIterator<string> {
    yield* Object.keys(this.raw).filter((name) => this.raw[name] !== undefined);
  }

  *values(): IterableIterator<string> {
    for (const name of this.keys()) yield this.get(name)!;
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name of this.keys()) yield [name, this.get(name)!];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}
