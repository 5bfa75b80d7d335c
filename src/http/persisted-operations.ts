import { readFile } from 'node:fs/promises';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { GraphQLError, parse, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { clientError, StartupError } from '../errors.ts';

/** An allow-list of operations, by id (e.g. the sha256 of the document), parsed once at start. */
export interface PersistedOperations {
  documents: ReadonlyMap<string, DocumentNode>;
  /** Serve only these; other documents are refused. */
  only: boolean;
}

/** Reads `{ "<id>": "<document>", … }`; a file that is unreadable or holds a bad document stops the start. */
export async function loadPersistedOperations(file: string, { only }: { only: boolean }): Promise<PersistedOperations> {
  const fail = (problem: string) => new StartupError(`FINGATE_PERSISTED_OPERATIONS: ${file}: ${problem}`);
  let entries: unknown;
  try {
    entries = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw fail((error as Error).message);
  }
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) throw fail('must be a JSON object mapping operation ids to documents');
  const documents = new Map<string, DocumentNode>();
  for (const [id, document] of Object.entries(entries)) {
    if (typeof document !== 'string') throw fail(`"${id}" must map to a GraphQL document string`);
    try {
      documents.set(id, parse(document));
    } catch (error) {
      throw fail(`"${id}": ${error instanceof GraphQLError ? error.message : String(error)}`);
    }
  }
  return { documents, only };
}

/**
 * Serves operations sent by id in the Apollo format, `extensions: { persistedQuery: { version: 1,
 * sha256Hash: "<id>" } }`, skipping parsing; with `only`, a request carrying a document is refused.
 */
export function usePersistedOperationList({ documents, only }: PersistedOperations): Plugin {
  const refuse = (message: string) => () => clientError('BAD_USER_INPUT', message, { http: { status: 400 } });
  return usePersistedOperations({
    getPersistedOperation: (id) => documents.get(id) ?? null,
    allowArbitraryOperations: !only,
    customErrors: {
      notFound: refuse('unknown persisted operation'),
      keyNotFound: refuse('only persisted operations are served: send extensions.persistedQuery.sha256Hash'),
      persistedQueryOnly: refuse('only persisted operations are served: send extensions.persistedQuery.sha256Hash instead of a query'),
    },
  }) as Plugin;
}
