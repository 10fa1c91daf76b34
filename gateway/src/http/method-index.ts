/**
 * Which methods each registered path answers, so a request with another method gets
 * `405 Method Not Allowed` and an `Allow` header (RFC 9110 §15.5.6) instead of a 404 that
 * claims the resource does not exist.
 */
import type { RouteOptions } from 'fastify';

interface PathMethods {
  pattern: RegExp;
  methods: Set<string>;
}

function literal(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** `/api/stargate/processes/:id/cancel` → a pattern matching one non-empty segment per parameter. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : literal(segment)))
    .join('/');
  return new RegExp(`^${source}$`);
}

export interface MethodIndex {
  /** Give to `app.addHook('onRoute', …)` before any route is registered. */
  add(route: RouteOptions): void;
  /** The methods the path answers (sorted), or undefined when no route has this path. */
  allowed(path: string): string[] | undefined;
}

export function createMethodIndex(): MethodIndex {
  const paths = new Map<string, PathMethods>();
  return {
    add(route) {
      let entry = paths.get(route.url);
      if (!entry) {
        entry = { pattern: patternOf(route.url), methods: new Set() };
        paths.set(route.url, entry);
      }
      for (const m of [route.method].flat()) entry.methods.add(m.toUpperCase());
    },
    allowed(path) {
      const methods = new Set<string>();
      for (const entry of paths.values()) {
        if (entry.pattern.test(path)) for (const m of entry.methods) methods.add(m);
      }
      return methods.size ? [...methods].sort() : undefined;
    },
  };
}
