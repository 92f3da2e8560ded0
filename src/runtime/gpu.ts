// NVIDIA GPUs as the kubelet's device plugin hands them out: an inventory of whole devices, one pod per device.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseQuantity } from '../api/go-values.ts';

/** The extended resource name of NVIDIA's device plugin. */
export const GPU_RESOURCE = 'nvidia.com/gpu';

/** The environment variable (and `knit serve --gpu-inventory`) naming a GPU inventory file instead of detection. */
export const GPU_INVENTORY_ENV = 'KNIT_GPU_INVENTORY';

/** One GPU: its index (the CDI name `nvidia.com/gpu=INDEX`), its UUID when known, and its device nodes. */
export interface GpuDevice {
  index: number;
  uuid?: string;
  /** Device nodes an instance given this GPU may open (its own /dev/nvidiaN and the driver's shared ones). */
  devices: string[];
}

/** The driver's device nodes every GPU user needs besides its own /dev/nvidiaN. */
const SHARED_NODES = ['/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools', '/dev/nvidia-modeset'];

/** `nvidia-smi -L` lines: `GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-…)`. */
export function parseNvidiaSmi(text: string): { index: number; uuid?: string }[] {
  const out: { index: number; uuid?: string }[] = [];
  for (const m of text.matchAll(/^GPU (\d+):.*?(?:\(UUID: (GPU-[0-9a-fA-F-]+)\))?\s*$/gm)) out.push({ index: Number(m[1]), ...(m[2] ? { uuid: m[2] } : {}) });
  return out;
}

/**
 * The host's GPUs: the /dev/nvidiaN nodes, with UUIDs from `nvidia-smi -L` when it runs (it also
 * names GPUs whose nodes the driver has not created yet).
 */
export function detectGpus(devDir = '/dev'): GpuDevice[] {
  const indexes = new Set<number>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(devDir);
  } catch {
    // no /dev to look at
  }
  for (const e of entries) {
    const m = /^nvidia(\d+)$/.exec(e);
    if (m) indexes.add(Number(m[1]));
  }
  const uuids = new Map<number, string>();
  if (indexes.size > 0 || entries.includes('nvidiactl')) {
    try {
      const text = execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
      for (const g of parseNvidiaSmi(text)) {
        indexes.add(g.index);
        if (g.uuid) uuids.set(g.index, g.uuid);
      }
    } catch {
      // no nvidia-smi: the device nodes are the inventory
    }
  }
  const shared = SHARED_NODES.filter((n) => entries.includes(path.basename(n))).map((n) => path.join(devDir, path.basename(n)));
  return [...indexes].sort((a, b) => a - b).map((index) => ({ index, ...(uuids.has(index) ? { uuid: uuids.get(index) } : {}), devices: [path.join(devDir, `nvidia${index}`), ...shared] }));
}

/**
 * Reads an inventory file: a JSON array of `{"index": N, "uuid": "GPU-…", "devices": ["/dev/nvidiaN", …]}`
 * (`uuid` optional; `devices` defaults to /dev/nvidiaN and the driver's shared nodes). Throws with the
 * file's problem.
 */
export function readGpuInventory(file: string): GpuDevice[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`GPU inventory ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(parsed)) throw new Error(`GPU inventory ${file}: want a JSON array of {"index": N, "uuid": "...", "devices": [...]}`);
  const seen = new Set<number>();
  return parsed.map((g: unknown, i) => {
    const o = g as { index?: unknown; uuid?: unknown; devices?: unknown };
    if (typeof o !== 'object' || o === null || !Number.isInteger(o.index) || (o.index as number) < 0) throw new Error(`GPU inventory ${file}: entry ${i} needs a non-negative integer "index"`);
    const index = o.index as number;
    if (seen.has(index)) throw new Error(`GPU inventory ${file}: index ${index} is listed twice`);
    seen.add(index);
    if (o.uuid !== undefined && typeof o.uuid !== 'string') throw new Error(`GPU inventory ${file}: entry ${i}: "uuid" must be a string`);
    if (o.devices !== undefined && !(Array.isArray(o.devices) && o.devices.every((d) => typeof d === 'string' && path.isAbsolute(d)))) {
      throw new Error(`GPU inventory ${file}: entry ${i}: "devices" must be an array of absolute paths`);
    }
    const devices = (o.devices as string[] | undefined) ?? [`/dev/nvidia${index}`, ...SHARED_NODES];
    return { index, ...(o.uuid ? { uuid: o.uuid as string } : {}), devices };
  });
}

/** The inventory `knit serve` uses: the file named by --gpu-inventory / KNIT_GPU_INVENTORY, else the host's. */
export function gpuInventory(file: string | undefined = process.env[GPU_INVENTORY_ENV]): GpuDevice[] {
  return file ? readGpuInventory(file) : detectGpus();
}

/**
 * The whole GPUs a container asks for (`limits["nvidia.com/gpu"]`, else its request: Kubernetes
 * requires them equal for extended resources); 0 when none.
 */
export function gpuCount(resources: { requests?: Record<string, string>; limits?: Record<string, string> } | undefined): number {
  const q = resources?.limits?.[GPU_RESOURCE] ?? resources?.requests?.[GPU_RESOURCE];
  const v = q === undefined ? null : parseQuantity(q);
  return v && v > 0 ? Math.ceil(v - 1e-9) : 0;
}

/** The scheduler's message for a pod no node has the GPUs for (one node: this machine). */
export const INSUFFICIENT_GPU_MESSAGE = `0/1 nodes are available: 1 Insufficient ${GPU_RESOURCE}.`;

/** The environment a GPU instance gets: its devices, by UUID when known (CUDA accepts either). */
export function gpuEnv(gpus: GpuDevice[]): Record<string, string> {
  const ids = gpus.map((g) => g.uuid ?? String(g.index)).join(',');
  return { NVIDIA_VISIBLE_DEVICES: ids, CUDA_VISIBLE_DEVICES: ids };
}

/** Hands out whole devices: each holder (a pod) gets the count it asks for, or nothing. */
export class GpuAllocator {
  readonly inventory: readonly GpuDevice[];
  private readonly held = new Map<string, GpuDevice[]>();

  constructor(inventory: readonly GpuDevice[]) {
    this.inventory = inventory;
  }

  /** Devices nobody holds. */
  get free(): number {
    return this.inventory.length - [...this.held.values()].reduce((n, g) => n + g.length, 0);
  }

  /** What `holder` holds, if anything. */
  of(holder: string): GpuDevice[] | undefined {
    return this.held.get(holder);
  }

  /** `n` devices for `holder` (the ones it already holds, if it holds n), or undefined when not enough are free. */
  allocate(holder: string, n: number): GpuDevice[] | undefined {
    const mine = this.held.get(holder);
    if (mine && mine.length === n) return mine;
    if (mine) this.held.delete(holder);
    const taken = new Set([...this.held.values()].flat().map((g) => g.index));
    const free = this.inventory.filter((g) => !taken.has(g.index));
    if (free.length < n) {
      if (mine) this.held.set(holder, mine);
      return undefined;
    }
    const got = free.slice(0, n);
    this.held.set(holder, got);
    return got;
  }

  /** Frees what `holder` holds; true if it held anything. */
  release(holder: string): boolean {
    return this.held.delete(holder);
  }

  /** How many holders of `prefix` (a revision's pods) hold devices. */
  holders(prefix: string): number {
    let n = 0;
    for (const k of this.held.keys()) if (k.startsWith(prefix)) n++;
    return n;
  }
}
