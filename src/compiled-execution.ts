import { getOperationAST, getVariableValues, type DocumentNode, type ExecutionResult, type GraphQLSchema, type VariableDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { GateContext } from './policy/gate.ts';
import { plainFieldsOf, withoutResolvers, type PlainFields } from './policy/plain-fields.ts';

/**
 * Executes each operation as code compiled once for its document (graphql-jit): the resolvers are
 * the schema's own, so every field still passes the gate's wrapper (or, a plain field the request's
 * decisions leave untouched, is read as the property the wrapper would return), but the walk over
 * the selection (collecting fields, completing values, building the result) is straight-line code instead of
 * graphql-js's interpretation per field and per row. Variables are coerced by graphql-js first, so
 * a bad variable is refused exactly as before (the same errors, naming the same input field). The
 * request deadline (`args.signal`, set by useRequestDeadline) answers at once when it fires, and
 * the gate starts no field that returns records after that (GateContext.signal).
 */
export function useCompiledExecution(): Plugin {
  // parsed documents are cached by Yoga, so each distinct document is compiled once per operation
  const compiled = new WeakMap<DocumentNode, Map<string, Compiled | ExecutionResult>>();
  const compile = (schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined) => {
    let byName = compiled.get(document);
    if (!byName) compiled.set(document, (byName = new Map()));
    let entry = byName.get(operationName ?? '');
    if (!entry) {
      const options = { disablingCapturingStackErrors: true };
      const query = compileQuery(schema, document, operationName ?? undefined, options);
      if (isCompiledQuery(query)) {
        const variables = getOperationAST(document, operationName)?.variableDefinitions ?? [];
        // every plain field read as a property; failing that (a personal one masked), the others
        const all = plainFieldsOf(schema, document);
        const impersonal = plainFieldsOf(schema, document, { personal: false });
        const direct: Compiled['direct'] = [];
        for (const plain of impersonal.fields.length < all.fields.length ? [all, impersonal] : [all]) {
          if (plain.fields.length === 0) continue;
          const compiledDirect = withoutResolvers(plain.fields, () => compileQuery(schema, document, operationName ?? undefined, options));
          if (isCompiledQuery(compiledDirect)) direct.push({ query: compiledDirect, leaves: plain.leaves });
        }
        entry = { query, variables, direct };
      } else {
        entry = query;
      }
      byName.set(operationName ?? '', entry);
    }
    return entry;
  };
  return {
    onExecute({ args, setExecuteFn }) {
      const entry = compile(args.schema, args.document, args.operationName);
      // graphql-js's executor reports what cannot be compiled (an unknown operation) as ever
      if (!('query' in entry)) return;
      setExecuteFn(((execution: typeof args & { signal?: AbortSignal }) => {
        const coerced = getVariableValues(execution.schema, entry.variables, execution.variableValues ?? {});
        if (coerced.errors) return { errors: coerced.errors };
        const context = execution.contextValue as unknown as GateContext;
        const signal = execution.signal;
        if (signal) context.signal = signal;
        const query = entry.direct.find((variant) => context.policy.untouched(variant.leaves))?.query ?? entry.query;
        const result = query.query(execution.rootValue, execution.contextValue, execution.variableValues);
        return signal && result instanceof Promise ? untilAborted(result, signal) : result;
      }) as never);
    },
  };
}

/** An operation compiled, with the variables graphql-js coerces before it runs. */
interface Compiled {
  query: CompiledQuery;
  variables: readonly VariableDefinitionNode[];
  /**
   * The same operation reading its plain fields as properties, for requests whose decisions leave
   * them untouched (src/policy/plain-fields.ts), most direct first; empty when it selects none.
   */
  direct: { query: CompiledQuery; leaves: PlainFields['leaves'] }[];
}

/** The execution's result, or the signal's reason as its only error once it aborts. */
function untilAborted(result: Promise<ExecutionResult>, signal: AbortSignal): Promise<ExecutionResult> {
  if (signal.aborted) return Promise.resolve({ errors: [signal.reason] });
  return new Promise((resolve, reject) => {
    const abort = () => resolve({ errors: [signal.reason] });
    signal.addEventListener('abort', abort, { once: true });
    result.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}
