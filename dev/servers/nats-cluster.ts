/**
 * An N-node nats-server cluster with JetStream on loopback, for fault tests: each node has its own
 * client, route and monitoring ports and store directory, so a node killed with SIGKILL can be started
 * again as the same server (same name, ports and data) and rejoin its streams' RAFT groups.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { natsServerBinary } from './binaries';
import { freePort, spawnServer, waitUntilReady, type ManagedProcess } from './process';

export interface NatsClusterNode {
  name: string;
  url: string;
  port: number;
  clusterPort: number;
  /** HTTP monitoring (/jsz, /healthz, /connz) on 127.0.0.1. */
  monitorPort: number;
  storeDir: string;
  running: boolean;
}

export interface NatsClusterHandle {
  nodes: NatsClusterNode[];
  /** Every node's client URL, comma-separated, as NATS_URL takes them. */
  urls: string;
  /** SIGKILL: no shutdown, no flush, as when a machine dies. */
  kill9(index: number): Promise<void>;
  /** Starts a killed node again with its name, ports and store dir; resolves once it is healthy. */
  restart(index: number, timeoutMs?: number): Promise<void>;
  /** Resolves once JetStream has a meta leader, every running peer is current and every node is healthy. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Index of the node the monitoring endpoints name `serverName`, or -1. */
  indexOf(serverName: string | undefined): number;
  /** Index of the node holding a client connection named `clientName` (nats.js `name`), or -1. */
  nodeOfClient(clientName: string): Promise<number>;
  stop(): Promise<void>;
}

export interface NatsClusterOptions {
  size?: number;
  /** Parent of the nodes' store dirs; default a new temp dir, removed on stop. */
  rootDir?: string;
  clusterName?: string;
}

interface MetaCluster {
  leader?: string;
  cluster_size?: number;
  replicas?: { name: string; current: boolean; offline?: boolean }[];
}

async function monitor<T>(node: NatsClusterNode, path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`http://127.0.0.1:${node.monitorPort}${path}`, { signal: AbortSignal.timeout(1000) });
  return { status: response.status, body: (await response.json()) as T };
}

export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsClusterHandle> {
  const size = options.size ?? 3;
  const clusterName = options.clusterName ?? 'nudge-test';
  const ownRoot = options.rootDir === undefined;
  const rootDir = options.rootDir ?? mkdtempSync(join(tmpdir(), 'nudge-nats-cluster-'));
  const bin = natsServerBinary();
  const nodes: NatsClusterNode[] = [];
  for (let i = 0; i < size; i++) {
    const [port, clusterPort, monitorPort] = [await freePort(), await freePort(), await freePort()];
    const storeDir = join(rootDir, `n${i + 1}`);
    mkdirSync(storeDir, { recursive: true });
    nodes.push({ name: `n${i + 1}`, url: `nats://127.0.0.1:${port}`, port, clusterPort, monitorPort, storeDir, running: false });
  }
  const routes = nodes.map((n) => `nats://127.0.0.1:${n.clusterPort}`);
  const procs: (ManagedProcess | null)[] = nodes.map(() => null);

  const nodeAt = (i: number): NatsClusterNode => {
    const node = nodes[i];
    if (!node) throw new Error(`the cluster has no node ${i} (nodes 0-${nodes.length - 1})`);
    return node;
  };

  const spawnNode = (i: number) => {
    const node = nodeAt(i);
    const args = [
      '-a', '127.0.0.1', '-p', String(node.port), '-m', String(node.monitorPort),
      '--server_name', node.name, '-js', '-sd', node.storeDir,
      '--cluster_name', clusterName, '--cluster', `nats://127.0.0.1:${node.clusterPort}`,
      // The other nodes only: a route to itself is found and dropped, but only after a wasted dial.
      '--routes', routes.filter((_, j) => j !== i).join(','),
    ];
    const proc = spawnServer(`nats-server ${node.name}`, bin, args);
    procs[i] = proc;
    node.running = true;
    proc.child.once('exit', () => { if (procs[i] === proc) node.running = false; });
    return proc;
  };

  /** The meta leader's view: it alone knows whether every peer has caught up with the meta log. */
  const metaIsCurrent = async (): Promise<boolean> => {
    const running = nodes.filter((n) => n.running);
    if (!running[0]) return false;
    const { body } = await monitor<{ meta_cluster?: MetaCluster }>(running[0], '/jsz');
    const leader = nodes.find((n) => n.name === body.meta_cluster?.leader && n.running);
    if (!leader) return false;
    const meta = (await monitor<{ meta_cluster?: MetaCluster }>(leader, '/jsz')).body.meta_cluster;
    if (meta?.leader !== leader.name) return false;
    const peers = new Map((meta.replicas ?? []).map((r) => [r.name, r]));
    return running.filter((n) => n !== leader).every((n) => peers.get(n.name)?.current === true && !peers.get(n.name)?.offline);
  };

  /** /healthz is 200 once a node's JetStream, its streams and consumers are current with their leaders. */
  const isHealthy = async (node: NatsClusterNode) => (await monitor<unknown>(node, '/healthz')).status === 200;

  const waitUntilHealthy = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const running = nodes.filter((n) => n.running);
        if (running.length && (await metaIsCurrent()) && (await Promise.all(running.map(isHealthy))).every(Boolean)) return;
        last = 'meta leader or peers not current yet';
      } catch (error) {
        last = (error as Error).message;
      }
      await sleep(100);
    }
    throw new Error(`NATS cluster not healthy after ${timeoutMs} ms (${last}):\n${procs.map((p) => p?.output() ?? '').join('\n')}`);
  };

  const awaitListening = (i: number, proc: ManagedProcess) =>
    waitUntilReady(`nats-server ${nodeAt(i).name}`, proc, async () => (await monitor<unknown>(nodeAt(i), '/varz')).status === 200, 15_000);

  try {
    await Promise.all(nodes.map((_, i) => awaitListening(i, spawnNode(i))));
    await waitUntilHealthy();
  } catch (error) {
    await Promise.all(procs.map((p) => p?.stop()));
    throw error;
  }

  return {
    nodes,
    urls: nodes.map((n) => n.url).join(','),
    async kill9(i) {
      const proc = procs[i];
      if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
      const exited = new Promise((resolve) => proc.child.once('exit', resolve));
      proc.child.kill('SIGKILL');
      await exited;
    },
    async restart(i, timeoutMs = 30_000) {
      if (nodeAt(i).running) throw new Error(`node ${nodeAt(i).name} is still running`);
      await awaitListening(i, spawnNode(i));
      await waitUntilHealthy(timeoutMs);
    },
    waitUntilHealthy,
    indexOf: (serverName) => nodes.findIndex((n) => n.name === serverName),
    async nodeOfClient(clientName) {
      for (const [i, node] of nodes.entries()) {
        if (!node.running) continue;
        const { body } = await monitor<{ connections?: { name?: string }[] }>(node, '/connz?limit=1024');
        if (body.connections?.some((c) => c.name === clientName)) return i;
      }
      return -1;
    },
    async stop() {
      await Promise.all(procs.map((p) => p?.stop()));
      if (ownRoot) rmSync(rootDir, { recursive: true, force: true });
    },
  };
}
