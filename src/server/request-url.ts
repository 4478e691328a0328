/**
 * The path of a request target. `new URL(target, base)` parses both strings on every request
 * (~10 us per request in the server's profile at c=1); a plain path, segments of letters, digits,
 * "_" and "-", is already what the URL parser would give as its pathname, so only other targets
 * (a query, dot segments, percent escapes, "//") go through it.
 */
const PLAIN = /^(?:(?:\/[\w-]+)+\/?|\/)$/;

export function requestPath(target = '/'): string {
  return PLAIN.test(target) ? target : requestUrl(target).pathname;
}

/** The whole target parsed, for the routes that read its query (models, admin). */
export function requestUrl(target = '/'): URL {
  return new URL(target, 'http://localhost');
}
