/**
 * The HTTP client for every Git transfer that may carry a token (push, the bundle server's
 * clone and fetch): isomorphic-git's Node client with redirects not followed. Its redirect
 * handling (simple-get) keeps the Authorization header when only the scheme changes, so an
 * https remote answering "302 → http://…" would send the token in clear text. A redirect is
 * returned as it is instead, and the caller reports it (the URL to use is the one it names).
 */
import type { GitHttpRequest, HttpClient } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';

export const gitHttp: HttpClient = {
  request: (request: GitHttpRequest) =>
    nodeHttp.request({ ...request, fetchOptions: { ...(request.fetchOptions as object | undefined), followRedirects: false } }),
};
