/** A GraphQL response as the client sees it, with the HTTP status. */
export interface GraphQLResponse<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions: { code: string; [key: string]: any } }[];
  extensions?: Record<string, any>;
}

export interface RequestOptions {
  variables?: Record<string, unknown>;
  /** Which operation of a document with several to run. */
  operationName?: string;
  /** A bearer token; omitted sends no Authorization header. */
  token?: string;
  /** Sent as `x-access-purpose`. */
  purpose?: string;
  headers?: Record<string, string>;
}

/** POSTs one GraphQL operation over real HTTP, as a front end would. */
export async function postGraphQL<T = any>(url: string, query: string, { variables, operationName, token, purpose, headers = {} }: RequestOptions = {}): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(purpose ? { 'x-access-purpose': purpose } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables, operationName }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}
