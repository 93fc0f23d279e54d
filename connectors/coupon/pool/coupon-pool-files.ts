/** Reading code pools from `<poolsDir>/<pool>.txt` files. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConnectorConfigError } from '../../errors';

/** Pool name -> its codes, in the order they are handed out. */
export type CouponPools = ReadonlyMap<string, readonly string[]>;

const POOL_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Loads every pool in `poolsDir`. A missing directory means "no pools" (generated codes still work);
 * a badly named pool or a code listed twice is a configuration error, because a duplicate would be
 * handed out twice.
 */
export function loadCouponPools(poolsDir: string): CouponPools {
  const dir = resolve(poolsDir);
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.txt'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  const pools = new Map<string, readonly string[]>();
  for (const file of files.sort()) {
    const name = file.slice(0, -'.txt'.length);
    if (!POOL_NAME.test(name)) {
      throw new ConnectorConfigError('coupon/pool', `pool file ${file}: names may use letters, digits, "-" and "_" only`);
    }
    pools.set(name, parsePoolFile(readFileSync(join(dir, file), 'utf8'), file));
  }
  return pools;
}

export function parsePoolFile(text: string, file: string): string[] {
  const codes = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const seen = new Set<string>();
  for (const code of codes) {
    if (seen.has(code)) throw new ConnectorConfigError('coupon/pool', `pool file ${file}: code ${code} is listed twice`);
    seen.add(code);
  }
  return codes;
}

/** Pools from texts read already (a deployed rule set revision carries its pool files): the same checks as loadCouponPools. */
export function loadCouponPoolTexts(files: readonly { file: string; text: string }[]): CouponPools {
  const pools = new Map<string, readonly string[]>();
  for (const { file, text } of files) {
    const base = file.split(/[\\/]/).pop()!;
    const name = base.replace(/\.txt$/, '');
    if (!POOL_NAME.test(name)) throw new ConnectorConfigError('coupon/pool', `pool file ${file}: names may use letters, digits, "-" and "_" only`);
    pools.set(name, parsePoolFile(text, file));
  }
  return pools;
}
