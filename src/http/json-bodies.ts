import type { Plugin } from 'graphql-yoga';
import { clientError } from '../errors.ts';

/**
 * POST bodies must be JSON (`Content-Type: application/json`); anything else is 415 before it is
 * read. Form, multipart and text/plain bodies are exactly what a web page can send cross-site
 * without a CORS preflight, and multipart parsing (file uploads) is surface this API has no use
 * for. Queries over GET stay allowed; yoga refuses mutations over GET itself (405).
 */
export function useJsonBodiesOnly(): Plugin {
  return {
    onRequestParse({ request }) {
      if (request.method !== 'POST') return;
      const mediaType = request.headers.get('content-type')?.split(';', 1)[0]!.trim().toLowerCase();
      if (mediaType === 'application/json') return;
      throw clientError('BAD_USER_INPUT', 'GraphQL over POST takes a JSON body: send Content-Type: application/json', {
        http: { status: 415, headers: { 'accept-post': 'application/json' } },
      });
    },
  };
}
