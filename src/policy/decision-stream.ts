import { createHash } from 'node:crypto';
import { GraphQLError, Kind, print, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { fieldPathsOf } from './field-paths.ts';
import type { GateContext } from './gate.ts';
import type { DecisionStream, Observer } from './types.ts';

/**
 * Hands every request's decisions to the observers once, after execution and before the response
 * leaves: the modules' observers (with their policy file's body) and `observers` (the gateway's own,
 * e.g. the shadow log). An observer that fails fails the request with a masked error, so nothing
 * an observer had to record is sent unrecorded. Also tells the client, in `extensions.policy`,
 * which versions decided and which fields were hidden or masked.
 */
export function useDecisionStream({
  observers = [],
  logError = console.error,
}: { observers?: readonly Observer[]; logError?: (error: unknown, requestId: string) => void } = {}): Plugin {
  return {
    onExecute: ({ args }) => {
      const policy = (args.contextValue as unknown as GateContext).policy;
      // before execution: a write's observers, inside its transaction, see the operation too
      policy.describe(fieldPathsOf(args.schema, args.document, args.operationName), operationOf(args.document, args.operationName));
      return {
        async onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result) return;
          const stream = policy.stream();
          try {
            await deliver(stream, policy.versions.observers, observers);
          } catch (error) {
            logError(error, stream.requestId);
            // Stryker disable next-line StringLiteral: message text, tests assert codes
            setResult({ errors: [new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })] });
            return;
          }
          setResult({ ...result, extensions: { ...result.extensions, policy: policy.report() } });
        },
      };
    },
  };
}

async function deliver(stream: DecisionStream, modules: readonly { observe: Observer; config: unknown }[], others: readonly Observer[]): Promise<void> {
  const pending: (Promise<void> | void)[] = [];
  for (const { observe, config } of modules) pending.push(observe.request?.(stream, config));
  for (const observer of others) pending.push(observer.request?.(stream, undefined));
  await Promise.all(pending);
}

const hashes = new WeakMap<DocumentNode, string>();

/** The operation's name and the sha256 of its document (computed once per document). */
function operationOf(document: DocumentNode, operationName: string | null | undefined): { name: string | null; hash: string } {
  let hash = hashes.get(document);
  // Stryker disable next-line ConditionalExpression: a cache; without it the same hash is computed again
  if (!hash) hashes.set(document, (hash = createHash('sha256').update(print(document)).digest('hex')));
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName));
  const name = operation?.kind === Kind.OPERATION_DEFINITION ? (operation.name?.value ?? null) : null;
  return { name, hash };
}
