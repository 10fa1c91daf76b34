import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ConfigStore } from './config-store.js';

export interface ConfigSource {
  /**
   * Loads the first document and starts watching. A file rejects if it is missing or invalid; the
   * Kubernetes Secret may be absent (not ready until it appears, ConfigStore.missingReason).
   */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** JSON or YAML (YAML is a superset of JSON, so one parser reads both). */
export function parseConfigText(text: string): unknown {
  return parseYaml(text);
}

/**
 * Watches the directory rather than the file: editors and Kubernetes volume updates replace
 * the file (rename / symlink swap), which a watch on the file itself would miss.
 */
export function createFileConfigSource(deps: {
  path: string;
  store: ConfigStore;
  logger: Logger;
  metrics: Metrics;
}): ConfigSource {
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastText: string | undefined;

  async function reload(initial: boolean): Promise<void> {
    let text: string;
    try {
      text = await readFile(deps.path, 'utf8');
    } catch (err) {
      if (initial)
        throw new Error(`STARGATE_CONFIG_FILE: cannot read ${deps.path}: ${(err as Error).message}`);
      deps.metrics.configReloads.inc({ result: 'rejected' });
      deps.logger.error({ event: 'config.unreadable', path: deps.path, err }, 'config file unreadable');
      return;
    }
    if (text === lastText) return;
    lastText = text;
    let doc: unknown;
    try {
      doc = parseConfigText(text);
    } catch (err) {
      deps.metrics.configReloads.inc({ result: 'rejected' });
      deps.logger.error({ event: 'config.rejected', path: deps.path, err }, 'config file is not JSON/YAML');
      if (initial) throw new Error(`STARGATE_CONFIG_FILE: ${deps.path} is not valid JSON or YAML`);
      return;
    }
    const result = deps.store.apply(doc, `file:${deps.path}`);
    if (!result.ok && initial) {
      throw new Error(
        `STARGATE_CONFIG_FILE: ${deps.path} is invalid: ${result.errors.slice(0, 5).join('; ')}`,
      );
    }
  }

  return {
    async start() {
      await reload(true);
      const name = basename(deps.path);
      watcher = watch(dirname(deps.path), (_event, file) => {
        if (file !== null && file !== name && !String(file).startsWith('..')) return;
        // Coalesce the burst of events one save produces.
        clearTimeout(timer);
        timer = setTimeout(() => {
          reload(false).catch((err) => deps.logger.error({ err }, 'config reload failed'));
        }, 50);
      });
    },
    async close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}

/** A fixed document (tests, SDK and e2e runs that hand the config in directly). */
export function createStaticConfigSource(deps: { doc: unknown; store: ConfigStore }): ConfigSource {
  return {
    async start() {
      const result = deps.store.apply(deps.doc, 'static');
      if (!result.ok) throw new Error(`gateway config is invalid: ${result.errors.slice(0, 5).join('; ')}`);
    },
    async close() {},
  };
}
